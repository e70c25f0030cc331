import NIOHTTP1

/// Rewrites a request's headers for the backend: hop-by-hop fields out, forwarding fields in.
///
/// Dropped: `Connection` and every field it names, `Keep-Alive`, `TE`, `Trailer`, `Upgrade` (kept when the
/// request is tunnelled, e.g. a WebSocket), `Proxy-*`. Set: `X-Forwarded-For` (see ``ClientAddressResolver``),
/// `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Real-IP`, `X-Request-ID`, and optionally RFC 7239 `Forwarded`.
/// Values a trusted proxy sent for Proto, Host and Request-ID are kept; from anyone else they are replaced.
public struct ForwardedHeaders: Sendable {
    /// Whether to add RFC 7239 `Forwarded`.
    public var addForwarded: Bool

    /// A rewriter.
    public init(addForwarded: Bool) {
        self.addForwarded = addForwarded
    }

    /// The headers to send upstream, and the request id used.
    ///
    /// - Parameters:
    ///   - headers: the request's headers as received.
    ///   - resolution: the client resolution for this request.
    ///   - tunnel: keep `Upgrade` and `Connection: upgrade` (the request asks to switch protocols).
    ///   - newRequestID: makes an id when none is kept.
    public func rewrite(_ headers: HTTPHeaders, resolution: ClientAddressResolver.Resolution, tunnel: Bool, newRequestID: () -> String) -> (HTTPHeaders, requestID: String) {
        // HTTPHeaders compares names without regard to case and without allocating.
        var output = headers
        for value in headers[canonicalForm: "connection"] where !(tunnel && value.lowercased() == "upgrade") {
            output.remove(name: String(value))
        }
        for name in Self.hopByHop { output.remove(name: name) }
        if !tunnel { output.remove(name: "upgrade") }
        if !resolution.peerTrusted {
            for name in Self.trustedOnly { output.remove(name: name) }
        }
        if output.contains(where: { Self.isProxyField($0.name) }) {
            let kept = output.filter { !Self.isProxyField($0.name) }
            output = HTTPHeaders(kept.map { ($0.name, $0.value) })
        }
        let host = headers.first(name: "host")
        if !output.contains(name: "x-forwarded-proto") { output.add(name: "X-Forwarded-Proto", value: "http") }
        if let host, !output.contains(name: "x-forwarded-host") { output.add(name: "X-Forwarded-Host", value: host) }
        output.add(name: "X-Forwarded-For", value: resolution.forwardedFor)
        output.add(name: "X-Real-IP", value: resolution.client)
        if tunnel { output.add(name: "Connection", value: "upgrade") }
        let requestID: String
        if let kept = output.first(name: "x-request-id"), !kept.isEmpty {
            requestID = kept
        } else {
            requestID = newRequestID()
            output.add(name: "X-Request-ID", value: requestID)
        }
        if self.addForwarded {
            let client = resolution.client.contains(":") ? "\"[\(resolution.client)]\"" : resolution.client
            var element = "for=\(client);proto=http"
            if let host { element += ";host=\"\(host)\"" }
            output.add(name: "Forwarded", value: element)
        }
        return (output, requestID)
    }

    /// Removed always (besides what Connection names); the forwarding fields are set afresh.
    static let hopByHop = ["connection", "keep-alive", "te", "trailer", "x-forwarded-for", "x-real-ip", "forwarded"]
    /// Believed only from a trusted proxy.
    static let trustedOnly = ["x-forwarded-proto", "x-forwarded-host", "x-request-id"]

    /// `Proxy-*` fields (credentials for this hop), matched on the bytes without allocating.
    static func isProxyField(_ name: String) -> Bool {
        var prefix = "proxy-".utf8.makeIterator()
        for byte in name.utf8 {
            guard let expected = prefix.next() else { return true }
            if byte | 0x20 != expected && byte != expected { return false }
        }
        return false
    }
}
