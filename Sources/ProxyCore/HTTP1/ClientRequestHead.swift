import NIOCore
import NIOHTTP1

/// A client's request head, parsed once from the bytes received and kept as those bytes with the ranges of
/// its parts, so the proxy reads fields without building them and forwards field lines without rebuilding
/// them (``ForwardedHeaders/write(_:target:resolution:tunnel:addRequestID:into:)``).
///
/// Parsing refuses what could be read two ways on the way to a backend (request smuggling): both
/// Content-Length and Transfer-Encoding, conflicting lengths, a transfer coding other than a final chunked,
/// obsolete line folding, bare CR or LF, and field names that are not tokens.
public struct ClientRequestHead: Sendable {
    /// How the request's body ends.
    public enum Framing: Sendable, Equatable {
        /// No body.
        case none
        /// Exactly this many bytes (more than zero).
        case length(Int)
        /// Chunked transfer coding.
        case chunked
    }

    /// The method.
    public let method: HTTPMethod
    /// HTTP/1.0 or HTTP/1.1.
    public let version: HTTPVersion
    /// How the body ends.
    public let framing: Framing
    /// Whether the client keeps the connection open after the response (its version and Connection field).
    public let keepAlive: Bool
    /// `Expect: 100-continue`: the client waits for an interim response before sending the body.
    public let expectsContinue: Bool
    /// The client asks to switch protocols (`Upgrade` with `Connection: upgrade`), as a WebSocket does.
    public let asksUpgrade: Bool
    /// The head as received, from the request line to the empty line.
    let bytes: ByteBuffer
    /// The method's bytes, from the start of `bytes`.
    let methodEnd: Int
    /// The request target's bytes.
    let target: Range<Int>
    /// The field lines, in order.
    let fields: [HTTP1Syntax.FieldLine]
    /// The Connection field's options other than `close` and `keep-alive`: names of fields that are this hop's
    /// and not forwarded, or `upgrade`. Most requests have none, and an empty array costs nothing.
    let connectionOptions: [Range<Int>]

    /// The request target as sent (path and query).
    public var uri: String { self.string(self.target) }

    /// The request target up to its query.
    public var path: String {
        let query = self.bytes.withUnsafeReadableBytes { p in p[self.target].firstIndex(of: UInt8(ascii: "?")) }
        return self.string(self.target.lowerBound..<(query ?? self.target.upperBound))
    }

    /// Whether a body follows the head.
    public var hasBody: Bool { self.framing != .none }

    /// The first value of the field `name` (lower case), nil when absent.
    public func first(name lowercase: StaticString) -> String? {
        let kind = HTTP1Syntax.kind(of: lowercase)
        return self.bytes.withUnsafeReadableBytes { p in
            self.fields.first { Self.field($0, isNamed: lowercase, kind, in: p) }.map { self.string($0.value) }
        }
    }

    /// Every value of the field `name` (lower case), in order.
    public func values(name lowercase: StaticString) -> [String] {
        let kind = HTTP1Syntax.kind(of: lowercase)
        return self.bytes.withUnsafeReadableBytes { p in
            self.fields.lazy.filter { Self.field($0, isNamed: lowercase, kind, in: p) }.map { self.string($0.value) }
        }
    }

    /// Whether `field` is named `lowercase`, whose kind is `kind`. Fields were classified as they were read, so a
    /// name the proxy knows is found by its kind alone; only other names are compared byte by byte.
    private static func field(_ field: HTTP1Syntax.FieldLine, isNamed lowercase: StaticString, _ kind: HTTP1Syntax.FieldName, in p: UnsafeRawBufferPointer) -> Bool {
        guard field.kind == kind else { return false }
        return kind != .other && kind != .proxyOther || HTTP1Syntax.equalsIgnoringCase(p, field.name, lowercase)
    }

    /// Every field as text, in order, as the rate limiter takes them.
    public var fieldList: [(name: String, value: String)] {
        self.fields.map { (name: self.string($0.name), value: self.string($0.value)) }
    }

    /// The head's bytes, and every field as ranges of them, in order: the firewall reads the fields as they
    /// arrived, without a string made of each.
    public var rawFields: (head: [UInt8], fields: [(name: Range<Int>, value: Range<Int>)]) {
        (Array(self.bytes.readableBytesView), self.fields.map { ($0.name, $0.value) })
    }

    /// The bytes in `range` as text.
    func string(_ range: Range<Int>) -> String {
        self.bytes.getString(at: self.bytes.readerIndex + range.lowerBound, length: range.count) ?? ""
    }
}

/// Why a request head is refused: a 400, or a 431 for a head that is too large.
public struct ClientRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status of the answer.
    public let status: Int
    /// What is wrong, for the answer's body.
    public let description: String

    static func malformed(_ description: String) -> Self { Self(status: 400, description: description) }
}

extension ClientRequestHead {
    /// Parses `bytes`, a complete head ending with the empty line, listing its fields in `fieldStorage` (emptied
    /// first; a spent head's list keeps its memory when nothing else holds it).
    init(parsing bytes: ByteBuffer, fieldStorage: consuming [HTTP1Syntax.FieldLine]) throws(ClientRequestError) {
        var fields = consume fieldStorage
        fields.removeAll(keepingCapacity: true)
        // Passed in place (inout), so the list has one owner while it grows: a copy would make it allocate anew.
        let parsed = bytes.withUnsafeReadableBytes { Self.parse($0, fields: &fields) }
        switch parsed {
        case .failure(let error):
            throw error
        case .success(let parts):
            self.method = parts.method
            self.version = parts.minorVersion == 0 ? .http1_0 : .http1_1
            self.framing = parts.framing
            self.keepAlive = parts.keepAlive
            self.expectsContinue = parts.expectsContinue
            self.asksUpgrade = parts.asksUpgrade
            self.bytes = bytes
            self.methodEnd = parts.methodEnd
            self.target = parts.target
            self.fields = parts.fields
            self.connectionOptions = parts.connectionOptions
        }
    }

    /// What one pass over the head found.
    private struct Parts {
        var method = HTTPMethod.GET
        var methodEnd = 0
        var target = 0..<0
        var minorVersion = 1
        var framing = Framing.none
        var keepAlive = true
        var expectsContinue = false
        var asksUpgrade = false
        var fields: [HTTP1Syntax.FieldLine]
        var connectionOptions: [Range<Int>] = []
    }

    private static func parse(_ p: UnsafeRawBufferPointer, fields: inout [HTTP1Syntax.FieldLine]) -> Result<Parts, ClientRequestError> {
        func failure(_ description: String) -> Result<Parts, ClientRequestError> { .failure(.malformed(description)) }
        var parts = Parts(fields: [])
        swap(&parts.fields, &fields)
        // Request line: method SP request-target SP HTTP-version CRLF.
        var index = 0
        while index < p.count, HTTP1Syntax.isTokenByte(p[index]) { index += 1 }
        guard index > 0, index < p.count, p[index] == 0x20 else { return failure("the request line does not start with a method") }
        parts.methodEnd = index
        parts.method = Self.method(p, 0..<index)
        index += 1
        let targetStart = index
        // Visible ASCII and bytes above it (some clients send raw UTF-8); no controls, spaces or DEL.
        while index < p.count, p[index] > 0x20, p[index] != 0x7F { index += 1 }
        guard index > targetStart, index < p.count, p[index] == 0x20 else { return failure("the request target is missing or has a control character") }
        parts.target = targetStart..<index
        index += 1
        guard HTTP1Syntax.startsWith(p, at: index, "HTTP/") else { return failure("the request line does not end with an HTTP version") }
        guard HTTP1Syntax.startsWith(p, at: index, "HTTP/1.0\r\n") || HTTP1Syntax.startsWith(p, at: index, "HTTP/1.1\r\n") else {
            return failure("only HTTP/1.0 and HTTP/1.1 are spoken here")
        }
        parts.minorVersion = Int(p[index + 7] - 0x30)

        var framing = FramingFields()
        var close = false
        var keepAliveToken = false
        var connectionUpgrade = false
        var upgrade = false
        parts.fields.reserveCapacity(16)
        let refusal = HTTP1Syntax.forEachField(p, from: index + 10) { line in
            parts.fields.append(line)
            switch line.kind {
            case .contentLength, .transferEncoding:
                return framing.read(p, line)
            case .connection:
                HTTP1Syntax.readConnection(p, line.value, close: &close, keepAlive: &keepAliveToken) { option in
                    if HTTP1Syntax.equalsIgnoringCase(p, option, "upgrade") { connectionUpgrade = true }
                    parts.connectionOptions.append(option)
                }
            case .upgrade:
                upgrade = true
            case .expect:
                HTTP1Syntax.forEachToken(p, line.value) { token in
                    if HTTP1Syntax.equalsIgnoringCase(p, token, "100-continue") { parts.expectsContinue = true }
                }
            default:
                break
            }
            return nil
        }
        if let refusal { return failure(refusal) }
        if framing.transferEncoding {
            guard framing.contentLength == nil else { return failure("the request has both Content-Length and Transfer-Encoding") }
            guard framing.chunked, framing.codingsAccepted else {
                return failure("unsupported Transfer-Encoding; only chunked is accepted as the final coding")
            }
            parts.framing = .chunked
        } else if let contentLength = framing.contentLength, contentLength > 0 {
            parts.framing = .length(contentLength)
        }
        parts.keepAlive = !close && (parts.minorVersion == 1 || keepAliveToken)
        parts.asksUpgrade = upgrade && connectionUpgrade
        return .success(parts)
    }

    /// The method named by `range`; the common ones without allocating.
    private static func method(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod {
        func isMethod(_ name: StaticString) -> Bool { HTTP1Syntax.startsWith(p, name) && name.utf8CodeUnitCount == range.count }
        switch range.count {
        case 3:
            if isMethod("GET") { return .GET }
            if isMethod("PUT") { return .PUT }
        case 4:
            if isMethod("POST") { return .POST }
            if isMethod("HEAD") { return .HEAD }
        case 5:
            if isMethod("PATCH") { return .PATCH }
            if isMethod("TRACE") { return .TRACE }
        case 6: if isMethod("DELETE") { return .DELETE }
        case 7:
            if isMethod("OPTIONS") { return .OPTIONS }
            if isMethod("CONNECT") { return .CONNECT }
        default: break
        }
        return HTTPMethod(rawValue: String(decoding: UnsafeRawBufferPointer(rebasing: p[range]), as: UTF8.self))
    }
}
