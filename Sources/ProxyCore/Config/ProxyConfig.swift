import NetworkAddress

/// Everything `rampart serve` is told by its config file (docs/config.md), validated.
public struct ProxyConfig: Sendable {
    /// A host and port to listen on or connect to.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        /// Host name or IP literal (IPv6 without brackets).
        public var host: String
        /// TCP port.
        public var port: Int

        /// An address.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` or `[v6]:port`.
        public init?(parsing text: String) {
            var text = Substring(text)
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            text = text[..<colon]
            if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
            guard !text.isEmpty else { return nil }
            self.init(host: String(text), port: port)
        }

        /// `host:port`, with brackets around IPv6.
        public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
    }

    /// A named group of backend servers.
    public struct Upstream: Sendable {
        /// The name routes refer to.
        public var name: String
        /// The servers, tried round-robin.
        public var servers: [Address]
        /// Idle keep-alive connections kept per server and event loop.
        public var poolSize: Int = 64
        /// Seconds to wait for a TCP connection.
        public var connectTimeout: Double = 2
        /// Seconds to wait for the response head once the request is sent.
        public var responseTimeout: Double = 30
        /// Seconds an idle pooled connection is kept.
        public var idleTimeout: Double = 60
        /// Seconds a server that refused a connection is skipped.
        public var failureBackoff: Double = 5

        /// An upstream with default pool and timeouts.
        public init(name: String, servers: [Address]) {
            self.name = name
            self.servers = servers
        }
    }

    /// Host and path prefix to an upstream.
    public struct Route: Sendable {
        /// The route's name, for stats and rate-limit keys.
        public var name: String
        /// Exact Host (without port) to match; nil for any.
        public var host: String?
        /// Path prefix to match.
        public var pathPrefix: String
        /// The upstream's name.
        public var upstream: String
        /// Remove `pathPrefix` from the path before forwarding.
        public var stripPrefix: Bool

        /// A route.
        public init(name: String, host: String? = nil, pathPrefix: String = "/", upstream: String, stripPrefix: Bool = false) {
            self.name = name
            self.host = host
            self.pathPrefix = pathPrefix
            self.upstream = upstream
            self.stripPrefix = stripPrefix
        }
    }

    /// What to do with a body larger than the inspection buffer.
    public enum OversizedBody: String, Sendable, CaseIterable {
        /// Answer 413.
        case reject
        /// Inspect the first `maxInspectedBody` bytes, then stream the rest uninspected.
        case inspectPrefix = "inspect_prefix"
    }

    /// The access log: one JSON line per request.
    public struct AccessLog: Sendable {
        /// `stdout`, or a file appended to (reopened on SIGUSR1 for rotation).
        public var path: String
        /// The share of allowed requests logged, 0 to 1; rejections and errors are always logged.
        public var sampleAllowed: Double = 1

        /// Logs every request to `path`.
        public init(path: String, sampleAllowed: Double = 1) {
            self.path = path
            self.sampleAllowed = sampleAllowed
        }
    }

    /// Where token buckets live.
    public enum RateLimitStore: Sendable, Equatable {
        /// In this process: each instance limits on its own.
        case local
        /// In Redis, shared by every instance that names the same server; `timeout` in seconds per decision,
        /// after which each policy's `on_store_error` decides.
        case redis(Address, timeout: Double)
    }

    /// The traffic listener.
    public var listen = Address(host: "127.0.0.1", port: 8080)
    /// The admin listener.
    public var adminListen = Address(host: "127.0.0.1", port: 9901)
    /// Bearer token the admin listener requires (needed when it is not on loopback).
    public var adminToken: String?
    /// Backends.
    public var upstreams: [Upstream] = []
    /// Routes, most specific first when matched.
    public var routes: [Route] = []
    /// The rules directory: `firewall/` and `ratelimits.yaml` inside.
    public var rulesDirectory = "rules"
    /// Peers whose X-Forwarded-For, X-Forwarded-Proto/Host and X-Request-ID are believed.
    public var trustedProxies: [CIDRBlock] = []
    /// Also send RFC 7239 `Forwarded`.
    public var forwardedHeader = false
    /// Largest request head in bytes (431 beyond).
    public var maxHeaderBytes = 32 * 1024
    /// Body bytes buffered for the firewall's body phase.
    public var maxInspectedBody = 1024 * 1024
    /// Beyond `maxInspectedBody`.
    public var oversizedBody = OversizedBody.reject
    /// Seconds a client has to send a complete request head (408 beyond).
    public var headerTimeout: Double = 10
    /// Seconds an idle client connection is kept.
    public var idleTimeout: Double = 60
    /// Client connections open at once; more are refused.
    public var maxConnections = 10_000
    /// Put the RateLimit fields on passing responses too.
    public var rateLimitHeadersOnSuccess = true

    /// Where rate-limit buckets live.
    public var rateLimitStore = RateLimitStore.local
    /// The access log; nil logs no requests.
    public var accessLog: AccessLog?
    /// Reload rules and policies when a file in the rules directory changes (inotify, else polling).
    public var watchRules = true
    /// Seconds between checks of the rules directory when inotify is unavailable, and the longest wait for
    /// a change inotify missed.
    public var rulesPollInterval: Double = 0.5

    /// A config with the defaults (loopback listeners, no upstreams).
    public init() {}

    /// The firewall rules directory.
    public var firewallDirectory: String { self.rulesDirectory + "/firewall" }
    /// The rate-limit policy file.
    public var rateLimitFile: String { self.rulesDirectory + "/ratelimits.yaml" }

    /// Why the admin listener may not start as configured: bound beyond loopback, it needs a bearer token.
    public var adminTokenProblem: String? {
        guard self.adminToken == nil, !Self.isLoopback(self.adminListen.host) else { return nil }
        return "the admin listener \(self.adminListen) is not on loopback, so it needs a bearer token: set admin.token in the config or RAMPART_ADMIN_TOKEN in the environment"
    }

    /// Whether `host` names the loopback interface (127.0.0.0/8, ::1 or localhost).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = IPAddress(host) else { return false }
        return address.family == .v4 ? address.bytes[0] == 127 : address.bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}
