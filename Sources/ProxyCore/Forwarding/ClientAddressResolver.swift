import NetworkAddress

/// Decides who the client is and what X-Forwarded-For chain to send on, from the TCP peer and any incoming
/// chain, believing the chain only as far as it was written by trusted proxies.
///
/// - From an untrusted peer, an incoming chain is discarded: the peer is the client, and the chain sent on is
///   just the peer. A client cannot spoof its address.
/// - From a trusted peer, the chain is kept and the peer appended; the client is the rightmost address that is
///   not itself a trusted proxy (the leftmost, when all are trusted).
public struct ClientAddressResolver: Sendable {
    /// Networks of proxies whose forwarding headers are believed.
    public let trusted: [CIDRBlock]

    /// A resolver trusting `trusted`.
    public init(trusted: [CIDRBlock]) {
        self.trusted = trusted
    }

    /// The outcome for one request.
    public struct Resolution: Sendable, Equatable {
        /// The client address for rate limits, rules and logs.
        public var client: String
        /// The X-Forwarded-For value to send to the backend.
        public var forwardedFor: String
        /// Whether the peer is a trusted proxy (so its other forwarding headers may be kept).
        public var peerTrusted: Bool

        /// A resolution.
        public init(client: String, forwardedFor: String, peerTrusted: Bool) {
            self.client = client
            self.forwardedFor = forwardedFor
            self.peerTrusted = peerTrusted
        }
    }

    /// Whether `address` is inside a trusted network.
    public func isTrusted(_ address: String) -> Bool {
        guard !self.trusted.isEmpty, let parsed = IPAddress(address) else { return false }
        return self.trusted.contains { $0.contains(parsed) }
    }

    /// Resolves for a request from `peer` carrying the X-Forwarded-For values `chain` (each may hold a list).
    public func resolve(peer: String, chain: [String]) -> Resolution {
        guard self.isTrusted(peer) else { return Resolution(client: peer, forwardedFor: peer, peerTrusted: false) }
        let hops = chain.flatMap { $0.split(separator: ",") }.map { Self.trim($0) }.filter { !$0.isEmpty }
        guard !hops.isEmpty else { return Resolution(client: peer, forwardedFor: peer, peerTrusted: true) }
        var client = hops[0]
        for hop in hops.reversed() where !self.isTrusted(hop) {
            client = hop
            break
        }
        return Resolution(client: client, forwardedFor: (hops + [peer]).joined(separator: ", "), peerTrusted: true)
    }

    /// `text` without surrounding spaces and tabs.
    public static func trim(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
