/// Tells, in one pass over a value, which conditions could match it: each prefiltered condition needs one of
/// its required literals (``RequiredLiterals``) to be present; the others are skipped without running PCRE2.
///
/// A class, so a scan reached through the rule set retains one reference instead of each of its arrays.
final class LiteralPrefilter: Sendable {
    private let automaton: AhoCorasick
    /// Per state, the conditions (as bits) satisfied by literals ending there; `words` per state.
    private let bits: [UInt64]
    /// Per state, whether `bits` has any bit set (the common case, no, is one load).
    private let hasBits: [Bool]
    /// 64-bit words per bit set.
    let words: Int
    /// ``TransformTriggers/table`` and ``TransformTriggers/nextOffsets``, held here: a `static let` read checks
    /// that it was initialized, twice per scan.
    private let classTable = TransformTriggers.table
    private let nextOffsets = TransformTriggers.nextOffsets

    /// Builds the prefilter for `sets`: condition `i` needs one of `sets[i]` (nil: not prefiltered).
    init(_ sets: [Set<[UInt8]>?]) {
        var literals: [[UInt8]] = []
        var owners: [Int] = []
        for (condition, set) in sets.enumerated() {
            for literal in set ?? [] {
                literals.append(literal)
                owners.append(condition)
            }
        }
        self.words = max(1, (sets.count + 63) / 64)
        self.automaton = AhoCorasick(literals)
        var bits = [UInt64](repeating: 0, count: self.automaton.terminal.count * self.words)
        for (state, patterns) in self.automaton.terminal.enumerated() {
            for pattern in patterns {
                let condition = owners[pattern]
                bits[state * self.words + condition / 64] |= 1 << UInt64(condition % 64)
            }
        }
        self.bits = bits
        self.hasBits = self.automaton.terminal.map { !$0.isEmpty }
    }

    /// The conditions whose literals occur in `value`, written into `into` (`words` words from `offset`), for a
    /// value scanned on its own (a transform's output). Raw values are scanned many at a time through
    /// ``withScanner(_:)``, which can also summarize their byte classes.
    func scanWithoutClasses(_ value: ArraySlice<UInt8>, into result: inout [UInt64], offset: Int) {
        precondition(offset >= 0 && offset + self.words <= result.count, "a result row outside the array")
        value.withUnsafeBufferPointer { value in
            result.withUnsafeMutableBufferPointer { result in
                self.withScanner { $0.scanWithoutClasses(value, into: result.baseAddress.unsafelyUnwrapped + offset) }
            }
        }
    }

    /// Calls `body` with a scanner that reads this prefilter's tables through pointers, valid during the call.
    ///
    /// An evaluation scans a hundred and more values at once; reaching the tables once for all of them, rather
    /// than once per value, saves a retain, a release and a dozen loads per value.
    @inline(__always)
    func withScanner<Result>(_ body: (Scanner) -> Result) -> Result {
        self.automaton.byteClass.withUnsafeBufferPointer { classes in
            self.automaton.transitions.withUnsafeBufferPointer { table in
                self.bits.withUnsafeBufferPointer { bits in
                    self.hasBits.withUnsafeBufferPointer { hasBits in
                        self.classTable.withUnsafeBufferPointer { classTable in
                            self.nextOffsets.withUnsafeBufferPointer { nextOffsets in
                                body(
                                    Scanner(
                                        words: self.words, classCount: self.automaton.classCount, classes: classes, table: table,
                                        bits: bits, hasBits: hasBits, classTable: classTable, nextOffsets: nextOffsets
                                    )
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    /// The prefilter's tables as pointers, for scanning many values in one ``withScanner(_:)`` call; not to be
    /// kept past it.
    struct Scanner {
        fileprivate let words: Int
        fileprivate let classCount: Int
        fileprivate let classes: UnsafeBufferPointer<UInt8>
        fileprivate let table: UnsafeBufferPointer<Int32>
        fileprivate let bits: UnsafeBufferPointer<UInt64>
        fileprivate let hasBits: UnsafeBufferPointer<Bool>
        fileprivate let classTable: UnsafeBufferPointer<UInt32>
        fileprivate let nextOffsets: UnsafeBufferPointer<UInt16>

        /// Sets the bits of the conditions whose literals occur in `value` in the `words` words at `result`;
        /// returns the value's byte classes (``TransformTriggers/classes(of:)``).
        ///
        /// The automaton's walk is written out here with every table held in a local pointer: this loop reads
        /// every byte of every value a request carries. The byte classes are summarized in the same pass, which
        /// the evaluation needs for nearly every value it scans: two more loads per byte, beside a walk whose
        /// every step waits for the previous one.
        @inline(__always)
        func scan(_ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>) -> UInt32 {
            self.words == 1
                ? self.scan(value, into: result, summary: Summarized.self, width: OneWord.self)
                : self.scan(value, into: result, summary: Summarized.self, width: ManyWords.self)
        }

        /// ``scan(_:into:)`` without the byte classes: two loads a byte fewer.
        @inline(__always)
        func scanWithoutClasses(_ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>) {
            _ =
                self.words == 1
                ? self.scan(value, into: result, summary: NotSummarized.self, width: OneWord.self)
                : self.scan(value, into: result, summary: NotSummarized.self, width: ManyWords.self)
        }

        @inline(__always)
        private func scan<Summary: ClassSummary, Width: ResultWidth>(
            _ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>, summary: Summary.Type, width: Width.Type
        ) -> UInt32 {
            let words = Width.isOneWord ? 1 : self.words
            let classCount = self.classCount
            let (classes, table, bits, hasBits) = (self.classes, self.table, self.bits, self.hasBits)
            let (classTable, nextOffsets) = (self.classTable, self.nextOffsets)
            var byteClasses = TransformTriggers.any
            // Literals end on many bytes of ordinary text (single punctuation marks are literals), so the first
            // two words, all most rule sets need, are collected in registers.
            var first: UInt64 = 0
            var second: UInt64 = 0
            var state = 0
            var previous = TransformTriggers.start
            for byte in value {
                state = Int(table[state &* classCount &+ Int(classes[Int(byte)])])
                if Summary.isOn {
                    byteClasses |= classTable[previous &+ Int(byte)]
                    previous = Int(nextOffsets[Int(byte)])
                }
                guard hasBits[state] else { continue }
                let base = Width.isOneWord ? state : state &* words
                first |= bits[base]
                guard !Width.isOneWord, words > 1 else { continue }
                second |= bits[base &+ 1]
                var word = 2
                while word < words {
                    result[word] |= bits[base &+ word]
                    word &+= 1
                }
            }
            result[0] |= first
            if !Width.isOneWord, words > 1 { result[1] |= second }
            return byteClasses
        }
    }
}

/// Whether a scan summarizes byte classes, as a type: each kind of scan is its own specialization of the loop,
/// with no test per byte.
private protocol ClassSummary { static var isOn: Bool { get } }
private enum Summarized: ClassSummary { static var isOn: Bool { true } }
private enum NotSummarized: ClassSummary { static var isOn: Bool { false } }

/// Whether a scan's rule set needs one result word (64 conditions or fewer, the usual case), as a type: the
/// one-word loop keeps fewer values live, and they fit in registers.
private protocol ResultWidth { static var isOneWord: Bool { get } }
private enum OneWord: ResultWidth { static var isOneWord: Bool { true } }
private enum ManyWords: ResultWidth { static var isOneWord: Bool { false } }
