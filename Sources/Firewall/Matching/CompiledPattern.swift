import CPCRE2

/// A PCRE2 regular expression compiled once (with JIT where the platform has it) and matched many times.
///
/// Matching is bounded: a pattern that backtracks catastrophically stops at the match limit and reports
/// ``PatternMatchError/limitExceeded`` instead of hanging the thread.
public final class CompiledPattern: @unchecked Sendable {  // safe: immutable after init, see below
    // `code` and `matchContext` are written only in init. PCRE2 documents compiled patterns (JIT code included)
    // and match contexts as read-only during matching and safe to use from many threads at once; each match
    // uses its own match data.
    private let code: OpaquePointer
    private let matchContext: OpaquePointer

    /// The pattern as written.
    public let source: String
    /// Whether the pattern was JIT-compiled.
    public let isJIT: Bool

    /// Options for compiling.
    public struct Options: OptionSet, Sendable {
        /// PCRE2's option bits.
        public let rawValue: UInt32
        /// Options from PCRE2's option bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Case-insensitive matching.
        public static let caseless = Options(rawValue: PCRE2_CASELESS)
        /// `.` matches newlines too.
        public static let dotAll = Options(rawValue: PCRE2_DOTALL)
        /// `^` and `$` match at line boundaries.
        public static let multiline = Options(rawValue: PCRE2_MULTILINE)
    }

    /// Compiles `pattern`.
    ///
    /// - Parameters:
    ///   - matchLimit: the most backtracking steps one match may take (PCRE2's match limit).
    ///   - depthLimit: the deepest backtracking nesting (PCRE2's depth limit; ignored by JIT, which is bounded
    ///     by its stack instead).
    /// - Throws: ``PatternCompileError`` with PCRE2's message and the offset of the fault in the pattern.
    public convenience init(_ pattern: String, options: Options = [], matchLimit: UInt32 = 100_000, depthLimit: UInt32 = 10_000)
        throws(PatternCompileError)
    {
        try self.init(pattern, options: options, matchLimit: matchLimit, depthLimit: depthLimit, rewritingAlternations: true)
    }

    /// Compiles `pattern`, matching its long alternations of words as a trie when `rewritingAlternations` (tests
    /// compare the two).
    init(_ pattern: String, options: Options, matchLimit: UInt32, depthLimit: UInt32, rewritingAlternations: Bool) throws(PatternCompileError) {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        func compile(_ pattern: String) -> OpaquePointer? {
            Array(pattern.utf8).withUnsafeBufferPointer { buffer in
                pcre2_compile_8(buffer.baseAddress, buffer.count, options.rawValue, &errorCode, &errorOffset, nil)
            }
        }
        // The pattern as written is compiled first, so errors point into it. Its long alternations of words are
        // then matched as a trie (``AlternationFactoring``), when the rewrite compiles too.
        guard var compiled = compile(pattern) else {
            throw PatternCompileError(pattern: pattern, offset: errorOffset, message: Self.message(for: errorCode))
        }
        if rewritingAlternations, let factored = AlternationFactoring.factored(pattern), let rewritten = compile(factored) {
            pcre2_code_free_8(compiled)
            compiled = rewritten
        }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw PatternCompileError(pattern: pattern, offset: 0, message: "out of memory")
        }
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
        self.code = compiled
        self.matchContext = context
        self.source = pattern
        self.isJIT = pcre2_jit_compile_8(compiled, PCRE2_JIT_COMPLETE) == 0
    }

    deinit {
        pcre2_match_context_free_8(self.matchContext)
        pcre2_code_free_8(self.code)
    }

    /// Whether the pattern matches anywhere in `subject` (bytes, usually UTF-8; invalid UTF-8 is tolerated).
    ///
    /// - Throws: ``PatternMatchError`` when a limit stops the match or PCRE2 fails.
    public func matches(_ subject: some Collection<UInt8>) throws(PatternMatchError) -> Bool {
        guard let matchData = ThreadMatchData.current() else { throw PatternMatchError.failed(code: PCRE2_ERROR_NOMEMORY) }
        let result: Int32 =
            subject.withContiguousStorageIfAvailable { buffer in
                pcre2_match_8(self.code, buffer.baseAddress, buffer.count, 0, 0, matchData, self.matchContext)
            }
            ?? Array(subject).withUnsafeBufferPointer { buffer in
                pcre2_match_8(self.code, buffer.baseAddress, buffer.count, 0, 0, matchData, self.matchContext)
            }
        switch result {
        case 0...: return true
        case PCRE2_ERROR_NOMATCH: return false
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            throw PatternMatchError.limitExceeded(pattern: self.source)
        default: throw PatternMatchError.failed(code: result)
        }
    }

    /// Whether the pattern matches anywhere in `subject`.
    public func matches(_ subject: String) throws(PatternMatchError) -> Bool {
        try self.matches(subject.utf8)
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer[0..<Int(length)], as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// A pattern that PCRE2 would not compile.
public struct PatternCompileError: Error, Sendable, CustomStringConvertible {
    /// The pattern.
    public let pattern: String
    /// The byte offset in the pattern where PCRE2 found the fault.
    public let offset: Int
    /// PCRE2's explanation.
    public let message: String

    public var description: String { "invalid regex at offset \(self.offset): \(self.message)" }
}

/// A match that could not complete.
public enum PatternMatchError: Error, Sendable, Equatable {
    /// The match limit (or JIT stack) ran out: the pattern backtracks too much on this input.
    case limitExceeded(pattern: String)
    /// PCRE2 failed with `code`.
    case failed(code: Int32)
}
