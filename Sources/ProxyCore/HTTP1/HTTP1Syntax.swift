#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTTP/1.1 grammar (RFC 9112) both parsers share: the request's and the backend response's. Everything
/// works on the bytes of a complete head and on index ranges into them, so a head is read without allocating.
enum HTTP1Syntax {
    /// One field line: the name's range and what the name is, the value's range (without surrounding
    /// whitespace), and the line from its start to after its CRLF. The name is classified once, as the line is
    /// read: the parsers act on it, and the forwarding rewrite acts on it again.
    struct FieldLine: Sendable {
        var name: Range<Int>
        var kind: FieldName
        var value: Range<Int>
        var line: Range<Int>
    }

    /// What stands at a position in the field section.
    enum FieldScan {
        case field(FieldLine)
        /// The empty line that ends the head.
        case endOfHead
        case malformed(String)
    }

    /// Where a head ends in the bytes read so far.
    enum HeadEnd: Equatable {
        /// The head's length, through the empty line.
        case complete(Int)
        case incomplete
        /// A line ends with LF alone: a recipient that accepts it may read the message differently from one that
        /// does not, so it is refused.
        case bareLineFeed
    }

    /// Finds the empty line that ends the head starting at `p`'s first byte, searching from `from`.
    static func headEnd(_ p: UnsafeRawBufferPointer, from: Int = 0) -> HeadEnd {
        guard let base = p.baseAddress else { return .incomplete }
        var index = from
        while index < p.count {
            // memchr's vector search goes from one line's LF to the next without looking at each byte between.
            guard let found = memchr(base + index, 0x0A, p.count - index) else { return .incomplete }
            let lineFeed = base.distance(to: UnsafeRawPointer(found))
            guard lineFeed > 0, p[lineFeed - 1] == 0x0D else { return .bareLineFeed }
            if lineFeed >= 3, p[lineFeed - 2] == 0x0A, p[lineFeed - 3] == 0x0D { return .complete(lineFeed + 1) }
            index = lineFeed + 1
        }
        return .incomplete
    }

    /// Calls `body` with each field line from `start` up to the empty line, until `body` returns why the head is
    /// refused. Returns that reason, or why a line is malformed; nil when every line was read.
    static func forEachField(_ p: UnsafeRawBufferPointer, from start: Int, _ body: (FieldLine) -> String?) -> String? {
        var position = start
        while true {
            switch Self.field(p, at: position) {
            case .endOfHead:
                return nil
            case .malformed(let description):
                return description
            case .field(let line):
                if let refusal = body(line) { return refusal }
                position = line.line.upperBound
            }
        }
    }

    /// Reads a Connection field's options: notes `close` and `keep-alive`, and passes every other option (the
    /// names of fields that are this hop's, or `upgrade`) to `other`.
    static func readConnection(
        _ p: UnsafeRawBufferPointer, _ value: Range<Int>, close: inout Bool, keepAlive: inout Bool, other: (Range<Int>) -> Void
    ) {
        Self.forEachToken(p, value) { token in
            if Self.equalsIgnoringCase(p, token, "close") {
                close = true
            } else if Self.equalsIgnoringCase(p, token, "keep-alive") {
                keepAlive = true
            } else {
                other(token)
            }
        }
    }

    /// The field line at `start`.
    static func field(_ p: UnsafeRawBufferPointer, at start: Int) -> FieldScan {
        guard start + 1 < p.count, p[start] != 0x0D else { return .endOfHead }
        if p[start] == 0x20 || p[start] == 0x09 {
            return .malformed("a field line is folded (obsolete line folding)")
        }
        var colon = start
        while colon < p.count, Self.isTokenByte(p[colon]) { colon += 1 }
        guard colon > start, colon < p.count, p[colon] == 0x3A else {
            return .malformed("a field name is empty or not followed by a colon")
        }
        guard let end = Self.lineEnd(p, from: colon + 1) else {
            return .malformed("a field value has a stray CR, LF or NUL")
        }
        let value = Self.trimmingWhitespace(p, colon + 1..<end - 2)
        return .field(FieldLine(name: start..<colon, kind: Self.classify(p, start..<colon), value: value, line: start..<end))
    }

    /// The index after the CRLF ending the line that `from` is in; nil when a CR, LF or NUL stands alone.
    static func lineEnd(_ p: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        // Eight bytes at a time up to the first CR, LF or NUL: a field value is read in a few steps, not one per byte.
        while index + 8 <= p.count {
            let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let stops = Self.zeroBytes(word ^ 0x0D0D_0D0D_0D0D_0D0D) | Self.zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A) | Self.zeroBytes(word)
            if stops != 0 {
                index += stops.trailingZeroBitCount / 8
                break
            }
            index += 8
        }
        while index < p.count {
            switch p[index] {
            case 0x0D:
                return index + 1 < p.count && p[index + 1] == 0x0A ? index + 2 : nil
            case 0x0A, 0x00:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// The high bit set in each byte of `word` that is zero. Bytes above a zero byte may be marked too (the
    /// borrow runs on into them), but never one below it: the lowest mark is exact, and it is all that is read.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// A decimal number of at most 18 digits.
    static func digits(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let digit = Int(p[index]) - 0x30
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// Calls `body` with each comma-separated token of a value, without surrounding whitespace.
    static func forEachToken(_ p: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = value.lowerBound
        for index in value.lowerBound...value.upperBound where index == value.upperBound || p[index] == 0x2C {
            let token = Self.trimmingWhitespace(p, start..<index)
            if !token.isEmpty { body(token) }
            start = index + 1
        }
    }

    /// `range` without the spaces and tabs at its ends.
    private static func trimmingWhitespace(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, p[lower] == 0x20 || p[lower] == 0x09 { lower += 1 }
        while upper > lower, p[upper - 1] == 0x20 || p[upper - 1] == 0x09 { upper -= 1 }
        return lower..<upper
    }

    /// Whether the bytes in `range` are `lowercase`, ignoring ASCII case.
    static func equalsIgnoringCase(_ p: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        // A plain loop: `zip(...).allSatisfy` left a closure call per byte, a third of a field's classification.
        return lowercase.withUTF8Buffer { expected in
            var index = 0
            while index < expected.count {
                guard Self.lowercased(p[range.lowerBound + index]) == expected[index] else { return false }
                index += 1
            }
            return true
        }
    }

    /// Whether the token bytes in `range` (a field name, all tchars) are `lowercase`, made of lower-case letters,
    /// digits and `-`, ignoring ASCII case: eight bytes at a time where it is that long. Setting bit 5 of each byte
    /// lower-cases a letter and leaves `-` and digits as they are, and no other tchar becomes one of those by it.
    static func tokenEqualsIgnoringCase(_ p: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        guard range.count == count else { return false }
        guard count >= 8, lowercase.hasPointerRepresentation else { return Self.equalsIgnoringCase(p, range, lowercase) }
        let expected = UnsafeRawPointer(lowercase.utf8Start)
        var offset = 0
        while offset < count {
            // The last word ends at the name's end, overlapping the one before.
            let at = min(offset, count - 8)
            let word = p.loadUnaligned(fromByteOffset: range.lowerBound + at, as: UInt64.self) | 0x2020_2020_2020_2020
            guard word == expected.loadUnaligned(fromByteOffset: at, as: UInt64.self) else { return false }
            offset += 8
        }
        return true
    }

    /// Whether two byte ranges are equal, ignoring ASCII case.
    static func equalsIgnoringCase(_ p: UnsafeRawBufferPointer, _ a: Range<Int>, _ q: UnsafeRawBufferPointer, _ b: Range<Int>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Self.lowercased(p[$0]) == Self.lowercased(q[$1]) }
    }

    /// `byte` with an ASCII capital letter made lower case.
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether the bytes in `range` start with `lowercase`, ignoring ASCII case.
    static func hasPrefixIgnoringCase(_ p: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        range.count >= lowercase.utf8CodeUnitCount
            && Self.equalsIgnoringCase(p, range.lowerBound..<range.lowerBound + lowercase.utf8CodeUnitCount, lowercase)
    }

    /// Whether `p` starts with `prefix`, case-sensitive as the HTTP version is.
    static func startsWith(_ p: UnsafeRawBufferPointer, at start: Int = 0, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in
            guard p.count - start >= expected.count else { return false }
            var index = 0
            while index < expected.count {
                guard p[start + index] == expected[index] else { return false }
                index += 1
            }
            return true
        }
    }

    /// RFC 9110 tchar, looked up in two 64-bit masks over ASCII (bit `b` for byte `b`, then `b` - 64): a field
    /// name is read at a few instructions a byte.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        // ! # $ % & ' * + - . and the digits.
        let below64: UInt64 = 0x03FF_6CFA_0000_0000
        // Letters, ^ _ ` | and ~.
        let from64: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        return byte < 64 ? (below64 >> UInt64(byte)) & 1 != 0 : byte < 128 && (from64 >> UInt64(byte - 64)) & 1 != 0
    }

    /// The field names the proxy reads, drops or sets, in requests or responses.
    enum FieldName: Equatable, Sendable {
        case host, contentLength, transferEncoding, connection, keepAlive, upgrade, te, trailer, expect, cookie
        case proxyConnection
        /// Another `Proxy-*` field.
        case proxyOther
        case xForwardedFor, xForwardedProto, xForwardedHost, xRealIP, xRequestID, forwarded
        case other
    }

    /// What a field name the proxy looks up (in lower case) is.
    static func kind(of lowercase: StaticString) -> FieldName {
        lowercase.withUTF8Buffer { Self.classify(UnsafeRawBufferPointer($0), 0..<$0.count) }
    }

    /// Classifies a field name by its length first, so most fields cost one switch and one comparison.
    static func classify(_ p: UnsafeRawBufferPointer, _ name: Range<Int>) -> FieldName {
        func isName(_ lowercase: StaticString) -> Bool { Self.tokenEqualsIgnoringCase(p, name, lowercase) }
        switch name.count {
        case 2: if isName("te") { return .te }
        case 4: if isName("host") { return .host }
        case 6:
            if isName("expect") { return .expect }
            if isName("cookie") { return .cookie }
        case 7:
            if isName("upgrade") { return .upgrade }
            if isName("trailer") { return .trailer }
        case 9:
            if isName("forwarded") { return .forwarded }
            if isName("x-real-ip") { return .xRealIP }
        case 10:
            if isName("connection") { return .connection }
            if isName("keep-alive") { return .keepAlive }
        case 12: if isName("x-request-id") { return .xRequestID }
        case 14: if isName("content-length") { return .contentLength }
        case 15: if isName("x-forwarded-for") { return .xForwardedFor }
        case 16:
            if isName("proxy-connection") { return .proxyConnection }
            if isName("x-forwarded-host") { return .xForwardedHost }
        case 17:
            if isName("transfer-encoding") { return .transferEncoding }
            if isName("x-forwarded-proto") { return .xForwardedProto }
        default: break
        }
        return Self.hasPrefixIgnoringCase(p, name, "proxy-") ? .proxyOther : .other
    }
}
