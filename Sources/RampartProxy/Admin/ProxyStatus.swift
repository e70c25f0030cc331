import Firewall
public import ProxyCore

/// A moment's view of the proxy, as the admin listener reports it (/stats, /metrics, /readyz).
public struct ProxyStatus: Sendable {
    /// An upstream and the health of its servers.
    public struct Upstream: Sendable {
        /// The upstream's name.
        public let name: String
        /// Its servers.
        public let servers: [Server]

        /// Whether at least one server is healthy (the upstream can take requests).
        public var healthy: Bool { self.servers.contains(where: \.healthy) }
    }

    /// A backend server.
    public struct Server: Sendable {
        /// `host:port`.
        public let address: String
        /// Not backing off after a failed connection on any event loop.
        public let healthy: Bool
    }

    /// Seconds since the server was created.
    public let uptime: Double
    /// Client connections open now, counted at accept (including ones refused beyond the limit, briefly).
    public let openConnections: Int
    /// Every event loop's counters, merged.
    public let traffic: TrafficStats
    /// Upstreams with server health.
    public let upstreams: [Upstream]
    let ruleSet: RuleSet
    /// The rate-limit policies in use, by name.
    public let policies: [String]
    /// The last reload attempt; nil before the first.
    public let lastReload: ReloadStatus?
    /// The access log's path and the lines lost to failed writes; nil without an access log.
    public let accessLog: (path: String, droppedLines: Int)?

    /// The firewall rule set's version (a hash of its files).
    public var rulesVersion: String { self.ruleSet.version }
    /// The rule files in use.
    public var ruleFiles: [String] { self.ruleSet.files }
    /// The number of firewall rules in use.
    public var ruleCount: Int { self.ruleSet.rules.count }
}
