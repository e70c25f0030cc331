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
        let hostField = head.fields.first { $0.kind == .host }
        let forwardedElement = self.addForwarded ? Self.forwardedElement(client: resolution.client, host: hostField.map { head.string($0.value) }) : ""
        let capacity =
            head.bytes.readableBytes + target.utf8.count + (hostField?.value.count ?? 0) + resolution.forwardedFor.utf8.count
            + resolution.client.utf8.count + (addRequestID?.utf8Count ?? 0) + forwardedElement.utf8.count + Self.addedTextBytes
        head.bytes.withUnsafeReadableBytes { p in
            HeadWriter.write(into: &buffer, capacity: capacity) { writer in
                var hasProto = false
                var hasForwardedHost = false
                writer.append(UnsafeRawBufferPointer(rebasing: p[0..<head.methodEnd]))
                writer.append(" ")
                writer.append(target)
                writer.append(" HTTP/1.1\r\n")
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
                    default:
                        break
                    }
                    if !head.connectionOptions.isEmpty, Self.isNamed(field.name, by: head.connectionOptions, tunnel: tunnel, in: p) { continue }
                    writer.append(UnsafeRawBufferPointer(rebasing: p[field.line]))
                }
                if !hasProto { writer.append("X-Forwarded-Proto: http\r\n") }
                if let hostField, !hasForwardedHost {
                    writer.append("X-Forwarded-Host: ")
                    writer.append(UnsafeRawBufferPointer(rebasing: p[hostField.value]))
                    writer.append("\r\n")
                }
                writer.appendField("X-Forwarded-For", resolution.forwardedFor)
                writer.appendField("X-Real-IP", resolution.client)
                if let addRequestID {
                    writer.append("X-Request-ID: ")
                    addRequestID.write(into: &writer)
                    writer.append("\r\n")
                }
                if self.addForwarded { writer.appendField("Forwarded", forwardedElement) }
                writer.append(tunnel ? "Connection: upgrade\r\n\r\n" : "Connection: keep-alive\r\n\r\n")
            }
        }
    }

    /// The bytes of the text `write` adds around the values it writes: the request line's and the added fields'
    /// names, separators and line ends (144), rounded up.
    private static var addedTextBytes: Int { 160 }

    /// RFC 7239's element for the client: its address (an IPv6 one quoted in brackets), the protocol, the host.
    private static func forwardedElement(client: String, host: String?) -> String {
        let client = client.contains(":") ? "\"[\(client)]\"" : client
        var element = "for=\(client);proto=http"
        if let host { element += ";host=\"\(host)\"" }
        return element
    }

    /// Whether the Connection field names `name` (the tunnel's own `upgrade` excepted).
    private static func isNamed(_ name: Range<Int>, by options: [Range<Int>], tunnel: Bool, in p: UnsafeRawBufferPointer) -> Bool {
        options.contains { option in
            if tunnel, HTTP1Syntax.equalsIgnoringCase(p, option, "upgrade") { return false }
            return HTTP1Syntax.equalsIgnoringCase(p, option, p, name)
        }
    }
}
