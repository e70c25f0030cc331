import NIOCore
import NIOHTTP1

/// A backend's response head, parsed just enough to forward it: the status, what it says about the
/// connection and the body, and where its hop-by-hop fields are. The head keeps the bytes as received, so
/// forwarding it copies field lines through instead of rebuilding them.
public struct UpstreamResponseHead: Sendable {
    /// How the body ends.
    public enum Framing: Sendable, Equatable {
        /// No body: a response to HEAD, 1xx, 204 and 304.
        case none
        /// Exactly this many bytes.
        case length(Int)
        /// Chunked transfer coding.
        case chunked
        /// Everything until the backend closes the connection.
        case untilClose
    }

    /// The status code.
    public let status: Int
    /// How the body ends.
    public internal(set) var framing: Framing
    /// Whether the backend keeps the connection open after this response.
    public internal(set) var keepAlive: Bool
    /// The head as received, from the status line to the empty line.
    let bytes: ByteBuffer
    /// Where the status code starts in `bytes` (the version is written afresh).
    let statusStart: Int
    /// Where the first field line starts.
    let fieldsStart: Int
    /// Field lines (with their CRLF) that are not forwarded, in order.
    let dropped: [Range<Int>]

    /// An interim (1xx) response other than 101: another head follows.
    public var isInterim: Bool { self.status >= 100 && self.status < 200 && self.status != 101 }

    /// Writes the head for the client: `version`, the backend's status line and fields without hop-by-hop
    /// ones, then `extraFields`, then the proxy's own `Connection` field for this client (`close`, or
    /// `keep-alive` for an HTTP/1.0 client that keeps the connection).
    public func write(
        version: HTTPVersion, extraFields: [(name: String, value: String)] = [], connection: StaticString?, into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        let view = self.bytes.readableBytesView
        var position = self.statusStart
        for range in self.dropped {
            buffer.writeBytes(view[view.startIndex + position..<view.startIndex + range.lowerBound])
            position = range.upperBound
        }
        // Everything up to the empty line that ends the head.
        buffer.writeBytes(view[view.startIndex + position..<view.endIndex - 2])
        for field in extraFields {
            buffer.writeString(field.name)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        if let connection {
            buffer.writeStaticString("Connection: ")
            buffer.writeStaticString(connection)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}

/// Why a backend's response cannot be forwarded (the client gets a 502 when nothing was sent yet).
public struct UpstreamResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the response.
    public let description: String
}

extension UpstreamResponseHead {
    /// Parses `bytes`, a complete head ending with the empty line.
    ///
    /// - Parameters:
    ///   - requestIsHEAD: the request was HEAD, so the response has no body whatever its fields say.
    ///   - unwrapChunks: a chunked body will reach the client without its framing (an HTTP/1.0 client), so
    ///     Transfer-Encoding is not forwarded.
    init(parsing bytes: ByteBuffer, requestIsHEAD: Bool, unwrapChunks: Bool) throws(UpstreamResponseError) {
        let parsed = bytes.withUnsafeReadableBytes { Self.parse($0, requestIsHEAD: requestIsHEAD, unwrapChunks: unwrapChunks) }
        switch parsed {
        case .failure(let error):
            throw error
        case .success(let fields):
            self.status = fields.status
            self.framing = fields.framing
            self.keepAlive = fields.keepAlive
            self.bytes = bytes
            self.statusStart = 9
            self.fieldsStart = fields.fieldsStart
            self.dropped = fields.dropped
        }
    }

    /// What one pass over the head found.
    private struct Parsed {
        var status = 0
        var minorVersion = 1
        var framing = Framing.untilClose
        var keepAlive = true
        var fieldsStart = 0
        var dropped: [Range<Int>] = []
    }

    /// One field line: the name's range, the value's range (without surrounding whitespace), the line's end
    /// after its CRLF.
    private struct Field {
        var name: Range<Int>
        var value: Range<Int>
        var end: Int
    }

    private static func parse(_ p: UnsafeRawBufferPointer, requestIsHEAD: Bool, unwrapChunks: Bool) -> Result<Parsed, UpstreamResponseError> {
        func failure(_ description: String) -> Result<Parsed, UpstreamResponseError> {
            .failure(UpstreamResponseError(description: description))
        }
        var parsed = Parsed()
        // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF.
        guard p.count >= 14, Self.startsWith(p, "HTTP/1."), p[7] == 0x30 || p[7] == 0x31, p[8] == 0x20,
            let status = Self.digits(p, 9..<12), p[12] == 0x20 || p[12] == 0x0D, status >= 100
        else {
            return failure("the status line is not HTTP/1.x with a three-digit status")
        }
        parsed.status = status
        parsed.minorVersion = Int(p[7] - 0x30)
        guard let statusEnd = Self.lineEnd(p, from: 12) else { return failure("the status line has a stray CR, LF or NUL") }
        parsed.fieldsStart = statusEnd

        let switching = status == 101
        var contentLength: Int?
        var transferEncoding = false
        var chunked = false
        var close = false
        var keepAliveToken = false
        var named: [[UInt8]] = []
        var position = statusEnd
        while let field = Self.field(p, at: position) {
            if case .failure(let error) = field { return .failure(error) }
            guard case .success(let line) = field else { break }
            defer { position = line.end }
            let lineRange = position..<line.end
            switch Self.knownField(p, line.name) {
            case .contentLength:
                guard let length = Self.digits(p, line.value), contentLength == nil || contentLength == length else {
                    return failure("Content-Length is not one decimal number")
                }
                contentLength = length
            case .transferEncoding:
                transferEncoding = true
                var last: Range<Int>?
                Self.forEachToken(p, line.value) { last = $0 }
                chunked = last.map { Self.equalsIgnoringCase(p, $0, "chunked") } ?? false
            case .connection:
                Self.forEachToken(p, line.value) { token in
                    if Self.equalsIgnoringCase(p, token, "close") {
                        close = true
                    } else if Self.equalsIgnoringCase(p, token, "keep-alive") {
                        keepAliveToken = true
                    } else if !(switching && Self.equalsIgnoringCase(p, token, "upgrade")) {
                        named.append(p[token].map { $0 | 0x20 })
                    }
                }
                if !switching { parsed.dropped.append(lineRange) }
            case .upgrade:
                if !switching { parsed.dropped.append(lineRange) }
            case .hopByHop:
                parsed.dropped.append(lineRange)
            case .other:
                break
            }
        }
        if requestIsHEAD || status < 200 || status == 204 || status == 304 {
            parsed.framing = .none
        } else if transferEncoding {
            parsed.framing = chunked ? .chunked : .untilClose
        } else if let contentLength {
            parsed.framing = .length(contentLength)
        } else {
            parsed.framing = .untilClose
        }
        // A message must not carry both; the coding decides, so the length is not forwarded. An unwrapped body
        // has no coding left.
        let dropLengths = transferEncoding && contentLength != nil
        let dropCodings = unwrapChunks && parsed.framing == .chunked
        if !named.isEmpty || dropLengths || dropCodings {
            // Fields the Connection field names are this hop's too, and they may come before it; so may the length
            // before the coding. Hence a second pass, which most responses do not need.
            position = statusEnd
            while let field = Self.field(p, at: position), case .success(let line) = field {
                let kind = Self.knownField(p, line.name)
                let range = position..<line.end
                // A field may be named and hop-by-hop both (`Connection: te`): it is dropped once.
                if (dropLengths && kind == .contentLength) || (dropCodings && kind == .transferEncoding)
                    || (!named.isEmpty && named.contains(p[line.name].map { $0 | 0x20 }) && !parsed.dropped.contains(range))
                {
                    parsed.dropped.append(range)
                }
                position = line.end
            }
        }
        parsed.keepAlive = !close && (parsed.minorVersion == 1 || keepAliveToken) && parsed.framing != .untilClose
            && !(transferEncoding && contentLength != nil)
        if parsed.dropped.count > 1 { parsed.dropped.sort { $0.lowerBound < $1.lowerBound } }
        return .success(parsed)
    }

    /// The fields the proxy reads or drops.
    private enum KnownField {
        case contentLength, transferEncoding, connection, upgrade, hopByHop, other
    }

    private static func knownField(_ p: UnsafeRawBufferPointer, _ name: Range<Int>) -> KnownField {
        switch name.count {
        case 2: return Self.equalsIgnoringCase(p, name, "te") ? .hopByHop : .other
        case 7:
            if Self.equalsIgnoringCase(p, name, "upgrade") { return .upgrade }
            return Self.equalsIgnoringCase(p, name, "trailer") ? .hopByHop : .other
        case 10:
            if Self.equalsIgnoringCase(p, name, "connection") { return .connection }
            return Self.equalsIgnoringCase(p, name, "keep-alive") ? .hopByHop : .other
        case 14: return Self.equalsIgnoringCase(p, name, "content-length") ? .contentLength : .other
        case 16: return Self.equalsIgnoringCase(p, name, "proxy-connection") ? .hopByHop : .other
        case 17: return Self.equalsIgnoringCase(p, name, "transfer-encoding") ? .transferEncoding : .other
        default: return .other
        }
    }

    /// The field line at `start`, nil at the empty line that ends the head.
    private static func field(_ p: UnsafeRawBufferPointer, at start: Int) -> Result<Field, UpstreamResponseError>? {
        guard start + 1 < p.count, p[start] != 0x0D else { return nil }
        if p[start] == 0x20 || p[start] == 0x09 {
            return .failure(UpstreamResponseError(description: "a field line is folded (obsolete line folding)"))
        }
        var colon = start
        while colon < p.count, Self.isTokenByte(p[colon]) { colon += 1 }
        guard colon > start, colon < p.count, p[colon] == 0x3A else {
            return .failure(UpstreamResponseError(description: "a field name is empty or not followed by a colon"))
        }
        guard let end = Self.lineEnd(p, from: colon + 1) else {
            return .failure(UpstreamResponseError(description: "a field value has a stray CR, LF or NUL"))
        }
        var lower = colon + 1
        var upper = end - 2
        while lower < upper, p[lower] == 0x20 || p[lower] == 0x09 { lower += 1 }
        while upper > lower, p[upper - 1] == 0x20 || p[upper - 1] == 0x09 { upper -= 1 }
        return .success(Field(name: start..<colon, value: lower..<upper, end: end))
    }

    /// The index after the CRLF ending the line that `from` is in; nil when a CR, LF or NUL stands alone.
    private static func lineEnd(_ p: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
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

    /// A decimal number of at most 18 digits.
    private static func digits(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
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
    private static func forEachToken(_ p: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = value.lowerBound
        for index in value.lowerBound...value.upperBound where index == value.upperBound || p[index] == 0x2C {
            var lower = start
            var upper = index
            while lower < upper, p[lower] == 0x20 || p[lower] == 0x09 { lower += 1 }
            while upper > lower, p[upper - 1] == 0x20 || p[upper - 1] == 0x09 { upper -= 1 }
            if lower < upper { body(lower..<upper) }
            start = index + 1
        }
    }

    private static func equalsIgnoringCase(_ p: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(range, expected).allSatisfy { index, byte in
                let actual = p[index]
                return actual == byte || (actual >= 0x41 && actual <= 0x5A && actual | 0x20 == byte)
            }
        }
    }

    /// Case-sensitive, as the HTTP version is.
    private static func startsWith(_ p: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in p.count >= expected.count && zip(p, expected).allSatisfy { $0 == $1 } }
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }
}
