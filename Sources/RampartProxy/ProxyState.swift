import Firewall
import ProxyCore
import RateLimit

/// What every connection on every event loop reads: the config and the compiled rules and limits.
///
/// Immutable; a reload builds a new one and swaps it in, so a request keeps the state it started with.
final class ProxyState: Sendable {
    let config: ProxyConfig
    let routes: RouteTable
    let resolver: ClientAddressResolver
    let forwarded: ForwardedHeaders
    let firewall: RuleSet
    let rateLimiter: RateLimiter
    /// Whether a rate-limit policy keys on a cookie (else the Cookie header is not parsed for limits).
    let limitsReadCookies: Bool
    /// Whether a rate-limit policy keys on a header field (else the limiter is not handed the fields).
    let limitsReadHeaders: Bool
    /// Each upstream server's `host:port`, formatted once: the access log names the server of every request.
    let serverNames: [[String]]

    init(config: ProxyConfig, firewall: RuleSet, rateLimiter: RateLimiter) {
        self.config = config
        self.routes = RouteTable(config)
        self.resolver = ClientAddressResolver(trusted: config.trustedProxies)
        self.forwarded = ForwardedHeaders(addForwarded: config.forwardedHeader)
        self.firewall = firewall
        self.rateLimiter = rateLimiter
        self.limitsReadCookies = rateLimiter.readsCookies
        self.limitsReadHeaders = rateLimiter.readsHeaders
        self.serverNames = config.upstreams.map { $0.servers.map(\.description) }
    }
}
