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
        // Fields the Connection field names are this hop's; most requests name none (or only keep-alive).
        var named: [String] = []
        for value in headers[canonicalForm: "connection"] {
            let token = value.lowercased()
            if token != "keep-alive" && token != "close" && !(tunnel && token == "upgrade") { named.append(token) }
        }
        // One pass copies what is kept, instead of one removal pass per dropped name. The fields are gathered as a
        // plain list and wrapped once: `HTTPHeaders.add` checks each name for non-ASCII bytes and for being
        // `Connection`, and these names are the parser's (tokens, ASCII by its grammar) or the proxy's own.
        var output: [(String, String)] = []
        // Room for the forwarding fields added here (at most six) and the Connection field the proxy adds for its
        // pooled upstream connection, so neither grows the storage again.
        output.reserveCapacity(headers.count + 7)
        var host: String?
        var hasProto = false
        var hasForwardedHost = false
        var requestID: String?
        for (name, value) in headers {
            let kind = Self.classify(name)
            if kind.isTrustedOnly && !resolution.peerTrusted { continue }
            switch kind {
            case .hopByHop: continue
            case .upgrade where !tunnel: continue
            case .host: host = host ?? value
            case .forwardedProto: hasProto = true
            case .forwardedHost: hasForwardedHost = true
            case .requestID: if requestID == nil, !value.isEmpty { requestID = value }
            case .upgrade, .other: break
            }
            if !named.isEmpty, named.contains(where: { Self.equalsIgnoringCase(name, $0) }) { continue }
            output.append((name, value))
        }
        if !hasProto { output.append(("X-Forwarded-Proto", "http")) }
        if let host, !hasForwardedHost { output.append(("X-Forwarded-Host", host)) }
        output.append(("X-Forwarded-For", resolution.forwardedFor))
        output.append(("X-Real-IP", resolution.client))
        if tunnel { output.append(("Connection", "upgrade")) }
        let id: String
        if let requestID {
            id = requestID
        } else {
            id = newRequestID()
            output.append(("X-Request-ID", id))
        }
        if self.addForwarded {
            let client = resolution.client.contains(":") ? "\"[\(resolution.client)]\"" : resolution.client
            var element = "for=\(client);proto=http"
            if let host { element += ";host=\"\(host)\"" }
            output.append(("Forwarded", element))
        }
        return (HTTPHeaders(output), id)
    }

    /// How a request field is treated on the way to the backend.
    private enum FieldKind {
        /// Never forwarded: this hop's, or set afresh by the proxy.
        case hopByHop
        /// Forwarded only when tunnelling.
        case upgrade
        case forwardedProto
        case forwardedHost
        case requestID
        case host
        case other

        /// Believed only from a trusted proxy: from anyone else they are replaced.
        var isTrustedOnly: Bool { self == .forwardedProto || self == .forwardedHost || self == .requestID }
    }

    /// Classifies `name` by its length first, so most fields cost one switch and no comparison.
    private static func classify(_ name: String) -> FieldKind {
        switch name.utf8.count {
        case 2: return Self.equalsIgnoringCase(name, "te") ? .hopByHop : .other
        case 4: return Self.equalsIgnoringCase(name, "host") ? .host : .other
        case 7:
            if Self.equalsIgnoringCase(name, "upgrade") { return .upgrade }
            return Self.equalsIgnoringCase(name, "trailer") ? .hopByHop : Self.proxyOrOther(name)
        case 9...:
            for hop in Self.hopByHop where Self.equalsIgnoringCase(name, hop) { return .hopByHop }
            if Self.equalsIgnoringCase(name, "x-forwarded-proto") { return .forwardedProto }
            if Self.equalsIgnoringCase(name, "x-forwarded-host") { return .forwardedHost }
            if Self.equalsIgnoringCase(name, "x-request-id") { return .requestID }
            return Self.proxyOrOther(name)
        default: return Self.proxyOrOther(name)
        }
    }

    private static func proxyOrOther(_ name: String) -> FieldKind {
        Self.isProxyField(name) ? .hopByHop : .other
    }

    /// Compares `name` with a lower-case ASCII name without allocating.
    private static func equalsIgnoringCase(_ name: String, _ lowercase: String) -> Bool {
        name.utf8.count == lowercase.utf8.count && zip(name.utf8, lowercase.utf8).allSatisfy { $0 == $1 || ($0 >= 0x41 && $0 <= 0x5A && $0 | 0x20 == $1) }
    }

    /// Removed always (besides what Connection names); the forwarding fields are set afresh.
    /// (`TE` and `Trailer` are matched by their lengths in ``classify(_:)``.)
    static let hopByHop = ["connection", "keep-alive", "x-forwarded-for", "x-real-ip", "forwarded"]

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
