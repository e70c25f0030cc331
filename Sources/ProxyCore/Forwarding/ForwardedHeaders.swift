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
        var named: Set<String> = ["connection", "keep-alive", "te", "trailer", "x-forwarded-for", "x-real-ip", "forwarded"]
        if !tunnel { named.insert("upgrade") }
        for value in headers[canonicalForm: "connection"] {
            named.insert(value.lowercased())
        }
        if tunnel { named.remove("upgrade") }
        if !resolution.peerTrusted {
            named.formUnion(["x-forwarded-proto", "x-forwarded-host", "x-request-id"])
        }
        var output = HTTPHeaders()
        output.reserveCapacity(headers.count + 6)
        for (name, value) in headers {
            let lowered = name.lowercased()
            if named.contains(lowered) || lowered.hasPrefix("proxy-") { continue }
            output.add(name: name, value: value)
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
}
