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
        // The received head less its first 9 bytes ("HTTP/1.x "), plus the version, the extra fields and Connection.
        let capacity = self.bytes.readableBytes + extraFields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 } + 32
        self.bytes.withUnsafeReadableBytes { p in
            HeadWriter.write(into: &buffer, capacity: capacity) { writer in
                writer.append(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
                var position = self.statusStart
                for range in self.dropped {
                    writer.append(UnsafeRawBufferPointer(rebasing: p[position..<range.lowerBound]))
                    position = range.upperBound
                }
                // Everything up to the empty line that ends the head.
                writer.append(UnsafeRawBufferPointer(rebasing: p[position..<p.count - 2]))
                for field in extraFields { writer.appendField(field.name, field.value) }
                if let connection {
                    writer.append("Connection: ")
                    writer.append(connection)
                    writer.append("\r\n")
                }
                writer.append("\r\n")
            }
        }
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
    ///   - droppedStorage: a spent head's list of dropped lines, emptied and filled again (it keeps its memory when
    ///     nothing else holds it).
    init(parsing bytes: ByteBuffer, requestIsHEAD: Bool, unwrapChunks: Bool, droppedStorage: consuming [Range<Int>]) throws(UpstreamResponseError) {
        var dropped = consume droppedStorage
        dropped.removeAll(keepingCapacity: true)
        // Passed in place (inout), so the list has one owner while it grows: a copy would make it allocate anew.
        let parsed = bytes.withUnsafeReadableBytes {
            Self.parse($0, requestIsHEAD: requestIsHEAD, unwrapChunks: unwrapChunks, dropped: &dropped)
        }
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

    private static func parse(
        _ p: UnsafeRawBufferPointer, requestIsHEAD: Bool, unwrapChunks: Bool, dropped: inout [Range<Int>]
    ) -> Result<Parsed, UpstreamResponseError> {
        func failure(_ description: String) -> Result<Parsed, UpstreamResponseError> {
            .failure(UpstreamResponseError(description: description))
        }
        var parsed = Parsed()
        swap(&parsed.dropped, &dropped)
        // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF.
        guard p.count >= 14, HTTP1Syntax.startsWith(p, "HTTP/1."), p[7] == 0x30 || p[7] == 0x31, p[8] == 0x20,
            let status = HTTP1Syntax.digits(p, 9..<12), p[12] == 0x20 || p[12] == 0x0D, status >= 100
        else {
            return failure("the status line is not HTTP/1.x with a three-digit status")
        }
        parsed.status = status
        parsed.minorVersion = Int(p[7] - 0x30)
        guard let statusEnd = HTTP1Syntax.lineEnd(p, from: 12) else { return failure("the status line has a stray CR, LF or NUL") }
        parsed.fieldsStart = statusEnd

        let switching = status == 101
        var framing = FramingFields()
        var close = false
        var keepAliveToken = false
        var named: [Range<Int>] = []
        let refusal = HTTP1Syntax.forEachField(p, from: statusEnd) { line in
            switch line.kind {
            case .contentLength, .transferEncoding:
                return framing.read(p, line)
            case .connection:
                HTTP1Syntax.readConnection(p, line.value, close: &close, keepAlive: &keepAliveToken) { option in
                    if !(switching && HTTP1Syntax.equalsIgnoringCase(p, option, "upgrade")) { named.append(option) }
                }
                if !switching { parsed.dropped.append(line.line) }
            case .upgrade:
                if !switching { parsed.dropped.append(line.line) }
            case .te, .trailer, .keepAlive, .proxyConnection:
                parsed.dropped.append(line.line)
            default:
                break
            }
            return nil
        }
        if let refusal { return failure(refusal) }
        if requestIsHEAD || status < 200 || status == 204 || status == 304 {
            parsed.framing = .none
        } else if framing.transferEncoding {
            parsed.framing = framing.chunked ? .chunked : .untilClose
        } else if let contentLength = framing.contentLength {
            parsed.framing = .length(contentLength)
        } else {
            parsed.framing = .untilClose
        }
        // A message must not carry both; the coding decides, so the length is not forwarded. An unwrapped body
        // has no coding left.
        let dropLengths = framing.transferEncoding && framing.contentLength != nil
        let dropCodings = unwrapChunks && parsed.framing == .chunked
        if !named.isEmpty || dropLengths || dropCodings {
            // Fields the Connection field names are this hop's too, and they may come before it; so may the length
            // before the coding. Hence a second pass, which most responses do not need.
            _ = HTTP1Syntax.forEachField(p, from: statusEnd) { line in
                // A field may be named and hop-by-hop both (`Connection: te`): it is dropped once.
                if (dropLengths && line.kind == .contentLength) || (dropCodings && line.kind == .transferEncoding)
                    || (!named.isEmpty && named.contains { HTTP1Syntax.equalsIgnoringCase(p, $0, p, line.name) } && !parsed.dropped.contains(line.line))
                {
                    parsed.dropped.append(line.line)
                }
                return nil
            }
        }
        parsed.keepAlive = !close && (parsed.minorVersion == 1 || keepAliveToken) && parsed.framing != .untilClose
            && !dropLengths
        if parsed.dropped.count > 1 { parsed.dropped.sort { $0.lowerBound < $1.lowerBound } }
        return .success(parsed)
    }
}
