import NIOCore

/// Writes a client's request head for the backend: hop-by-hop fields out, forwarding fields in, every other
/// field line copied through as received.
///
/// Dropped: `Connection` and every field it names, `Keep-Alive`, `TE`, `Trailer`, `Upgrade` (kept when the
/// request is tunnelled, e.g. a WebSocket), `Proxy-*`, and `Expect: 100-continue` (the proxy answers it
/// itself). Set: `X-Forwarded-For` (see ``ClientAddressResolver``), `X-Forwarded-Proto`, `X-Forwarded-Host`,
/// `X-Real-IP`, `X-Request-ID`, and optionally RFC 7239 `Forwarded`. Values a trusted proxy sent for Proto,
/// Host and Request-ID are kept; from anyone else they are replaced. The backend connection is the proxy's
/// own, pooled: `Connection: keep-alive`, or `upgrade` for a tunnel.
public struct ForwardedHeaders: Sendable {
    /// Whether to add RFC 7239 `Forwarded`.
    public var addForwarded: Bool

    /// A rewriter.
    public init(addForwarded: Bool) {
        self.addForwarded = addForwarded
    }

    /// The request id a trusted peer sent (the first non-empty one), which the backend gets unchanged; nil
    /// when the proxy makes one.
    public func keptRequestID(_ head: ClientRequestHead, resolution: ClientAddressResolver.Resolution) -> ProxyRequestID? {
        guard resolution.peerTrusted else { return nil }
        return head.values(name: "x-request-id").first { !$0.isEmpty }.map { .kept($0) }
    }

    /// Writes the request line and fields for the backend, through the empty line.
    ///
    /// - Parameters:
    ///   - head: the request as received.
    ///   - target: the request target for the backend (a route may strip a prefix).
    ///   - resolution: the client resolution for this request.
    ///   - tunnel: keep `Upgrade` and ask for `Connection: upgrade` (the request switches protocols).
    ///   - addRequestID: the id the proxy made for this request; nil when ``keptRequestID(_:resolution:)`` kept one.
    public func write(
        _ head: ClientRequestHead, target: String, resolution: ClientAddressResolver.Resolution, tunnel: Bool, addRequestID: ProxyRequestID?,
        into buffer: inout ByteBuffer
    ) {
        var hostField: HTTP1Syntax.FieldLine?
        var hasProto = false
        var hasForwardedHost = false
        head.bytes.withUnsafeReadableBytes { p in
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: p[0..<head.methodEnd]))
            buffer.writeStaticString(" ")
            buffer.writeString(target)
            buffer.writeStaticString(" HTTP/1.1\r\n")
            for field in head.fields {
                switch field.kind {
                case .connection, .keepAlive, .te, .trailer, .proxyConnection, .proxyOther, .xForwardedFor, .xRealIP, .forwarded:
                    continue
                case .upgrade where !tunnel:
                    continue
                case .expect where head.expectsContinue:
                    continue
                case .xForwardedProto, .xForwardedHost, .xRequestID:
                    guard resolution.peerTrusted else { continue }
                    if field.kind == .xForwardedProto { hasProto = true }
                    if field.kind == .xForwardedHost { hasForwardedHost = true }
                case .host:
                    if hostField == nil { hostField = field }
                default:
                    break
                }
                if !head.connectionOptions.isEmpty, Self.isNamed(field.name, by: head.connectionOptions, tunnel: tunnel, in: p) { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: p[field.line]))
            }
        }
        let host = hostField.map { head.string($0.value) }
        if !hasProto { buffer.writeStaticString("X-Forwarded-Proto: http\r\n") }
        if let host, !hasForwardedHost { Self.writeField("X-Forwarded-Host: ", host, into: &buffer) }
        Self.writeField("X-Forwarded-For: ", resolution.forwardedFor, into: &buffer)
        Self.writeField("X-Real-IP: ", resolution.client, into: &buffer)
        if let addRequestID {
            buffer.writeStaticString("X-Request-ID: ")
            addRequestID.write(into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if self.addForwarded {
            let client = resolution.client.contains(":") ? "\"[\(resolution.client)]\"" : resolution.client
            var element = "for=\(client);proto=http"
            if let host { element += ";host=\"\(host)\"" }
            Self.writeField("Forwarded: ", element, into: &buffer)
        }
        buffer.writeStaticString(tunnel ? "Connection: upgrade\r\n\r\n" : "Connection: keep-alive\r\n\r\n")
    }

    private static func writeField(_ name: StaticString, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(name)
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    /// Whether the Connection field names `name` (the tunnel's own `upgrade` excepted).
    private static func isNamed(_ name: Range<Int>, by options: [Range<Int>], tunnel: Bool, in p: UnsafeRawBufferPointer) -> Bool {
        options.contains { option in
            if tunnel, HTTP1Syntax.equalsIgnoringCase(p, option, "upgrade") { return false }
            return HTTP1Syntax.equalsIgnoringCase(p, option, p, name)
        }
    }
}
