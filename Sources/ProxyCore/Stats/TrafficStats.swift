public import Histogram

/// What one event loop has counted since start: connections, requests, rejections, upstream errors and
/// latencies.
///
/// Each loop owns one and updates it without locks or atomics (only its loop touches it); the admin listener
/// copies every loop's counters and merges them into one report, so counting costs the hot path nothing but
/// a few additions.
public struct TrafficStats: Sendable {
    /// Why an upstream exchange failed.
    public enum UpstreamError: String, Sendable, CaseIterable {
        /// The TCP connection could not be made (502).
        case connect
        /// The backend did not answer within the response timeout (504).
        case timeout
        /// The backend closed the connection before answering, or in the middle of a response.
        case reset
        /// The backend's response could not be read as HTTP/1.x (502, or the client connection closes when the
        /// response had begun).
        case malformed
    }

    /// Client connections accepted.
    public var connectionsOpened = 0
    /// Client connections closed.
    public var connectionsClosed = 0
    /// Requests answered, by status class: index 0 counts 1xx, index 4 counts 5xx.
    public var statusClasses = [Int](repeating: 0, count: 5)
    /// Requests answered, by route name; requests that matched no route count under ``noRoute``.
    public var routes: [String: Int] = [:]
    /// Requests sent on to a backend.
    public var forwarded = 0
    /// Requests started and not yet answered.
    public var inFlight = 0
    /// Requests the firewall rejected, by the id of each blocking rule.
    public var firewallBlocksByRule: [Int: Int] = [:]
    /// Requests the firewall rejected, by the tags of the blocking rules (a request counts once per tag).
    public var firewallBlocksByTag: [String: Int] = [:]
    /// Requests that detection-only rules would have rejected, by rule id.
    public var firewallWouldBlockByRule: [Int: Int] = [:]
    /// Requests that detection-only rules would have rejected, by tag.
    public var firewallWouldBlockByTag: [String: Int] = [:]
    /// Rule evaluations that hit a regex match limit (the rule counted as not matching).
    public var firewallRuleErrors = 0
    /// Requests rejected by an enforced rate-limit policy, by policy name.
    public var rateLimitRejections: [String: Int] = [:]
    /// Requests a shadow policy would have rejected, by policy name.
    public var rateLimitShadowRejections: [String: Int] = [:]
    /// Rate-limit decisions the shared store (Redis) could not make, so `on_store_error` decided.
    public var rateLimitStoreErrors = 0
    /// Upstream failures by kind.
    public var upstreamErrors: [UpstreamError: Int] = [:]
    /// Request durations in microseconds, from the request head to the end of the response.
    public var latency: Histogram<UInt64>

    /// The route name for requests that matched no route.
    public static let noRoute = "(none)"
    /// Latencies above this many microseconds (one hour) are recorded as this value.
    public static let highestLatency: UInt64 = 3_600_000_000

    /// Empty counters.
    public init() {
        self.latency = Histogram(lowestDiscernibleValue: 1, highestTrackableValue: Self.highestLatency, numberOfSignificantValueDigits: .two)
    }

    /// Client connections open now.
    public var connectionsOpen: Int { self.connectionsOpened - self.connectionsClosed }

    /// Requests answered, over all status classes.
    public var requests: Int { self.statusClasses.reduce(0, +) }

    /// Counts an answered request.
    public mutating func recordResponse(status: Int, route: String?, microseconds: UInt64) {
        let index = min(max(status / 100, 1), 5) - 1
        self.statusClasses[index] += 1
        self.routes[route ?? Self.noRoute, default: 0] += 1
        _ = self.latency.record(min(max(microseconds, 1), Self.highestLatency))
    }

    /// Counts a firewall rejection (`blocked`) or a detection-only "would block" for the rules that matched.
    public mutating func recordFirewall(blockingRules: [(id: Int, tags: [String])], blocked: Bool) {
        var tags = Set<String>()
        for rule in blockingRules {
            if blocked {
                self.firewallBlocksByRule[rule.id, default: 0] += 1
            } else {
                self.firewallWouldBlockByRule[rule.id, default: 0] += 1
            }
            tags.formUnion(rule.tags)
        }
        for tag in tags {
            if blocked {
                self.firewallBlocksByTag[tag, default: 0] += 1
            } else {
                self.firewallWouldBlockByTag[tag, default: 0] += 1
            }
        }
    }

    /// Adds `other`'s counts to these.
    public mutating func merge(_ other: TrafficStats) {
        self.connectionsOpened += other.connectionsOpened
        self.connectionsClosed += other.connectionsClosed
        for index in self.statusClasses.indices { self.statusClasses[index] += other.statusClasses[index] }
        self.routes.merge(other.routes, uniquingKeysWith: +)
        self.forwarded += other.forwarded
        self.inFlight += other.inFlight
        self.firewallBlocksByRule.merge(other.firewallBlocksByRule, uniquingKeysWith: +)
        self.firewallBlocksByTag.merge(other.firewallBlocksByTag, uniquingKeysWith: +)
        self.firewallWouldBlockByRule.merge(other.firewallWouldBlockByRule, uniquingKeysWith: +)
        self.firewallWouldBlockByTag.merge(other.firewallWouldBlockByTag, uniquingKeysWith: +)
        self.firewallRuleErrors += other.firewallRuleErrors
        self.rateLimitRejections.merge(other.rateLimitRejections, uniquingKeysWith: +)
        self.rateLimitShadowRejections.merge(other.rateLimitShadowRejections, uniquingKeysWith: +)
        self.rateLimitStoreErrors += other.rateLimitStoreErrors
        self.upstreamErrors.merge(other.upstreamErrors, uniquingKeysWith: +)
        self.latency.add(other.latency)
    }

    /// A latency percentile in seconds (0 when nothing was recorded).
    public func latencySeconds(percentile: Double) -> Double {
        guard self.latency.totalCount > 0 else { return 0 }
        return Double(self.latency.valueAtPercentile(percentile)) / 1_000_000
    }

    /// The longest recorded latency in seconds.
    public var maxLatencySeconds: Double {
        self.latency.totalCount > 0 ? Double(self.latency.max) / 1_000_000 : 0
    }
}
