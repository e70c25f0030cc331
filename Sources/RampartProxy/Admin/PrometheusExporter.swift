import Foundation
import ProxyCore
import Prometheus

/// Renders a ``ProxyStatus`` in the Prometheus text format, through swift-prometheus (docs/stats.md lists the
/// metric names, which are kept stable).
///
/// The hot path counts in plain per-loop integers (``TrafficStats``); a scrape copies them into a fresh
/// registry, so counting costs no atomics and the text always matches /stats.
enum PrometheusExporter {
    static func text(_ status: ProxyStatus, process: PrometheusCollectorRegistry?) -> String {
        let registry = PrometheusCollectorRegistry()
        let traffic = status.traffic
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Int) {
            registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels).increment(by: Int64(value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels).set(value)
        }
        gauge("rampart_uptime_seconds", "Seconds since the proxy started.", [], status.uptime)
        gauge("rampart_connections_open", "Client connections open now.", [], Double(status.openConnections))
        counter("rampart_connections_total", "Client connections accepted.", [], traffic.connectionsOpened)
        for (index, count) in traffic.statusClasses.enumerated() {
            counter("rampart_requests_total", "Requests answered, by status class.", [("status_class", "\(index + 1)xx")], count)
        }
        for (route, count) in traffic.routes.sorted(by: { $0.key < $1.key }) {
            counter("rampart_route_requests_total", "Requests answered, by route.", [("route", route)], count)
        }
        gauge("rampart_requests_in_flight", "Requests started and not yet answered.", [], Double(traffic.inFlight))
        counter("rampart_forwarded_total", "Requests sent to a backend.", [], traffic.forwarded)
        for (rule, count) in traffic.firewallBlocksByRule.sorted(by: { $0.key < $1.key }) {
            counter("rampart_firewall_blocks_total", "Requests the firewall rejected, by blocking rule.", [("rule_id", String(rule))], count)
        }
        for (tag, count) in traffic.firewallBlocksByTag.sorted(by: { $0.key < $1.key }) {
            counter("rampart_firewall_tag_blocks_total", "Requests the firewall rejected, by rule tag.", [("tag", tag)], count)
        }
        for (rule, count) in traffic.firewallWouldBlockByRule.sorted(by: { $0.key < $1.key }) {
            counter("rampart_firewall_would_block_total", "Requests detection-only rules would have rejected, by rule.", [("rule_id", String(rule))], count)
        }
        for (tag, count) in traffic.firewallWouldBlockByTag.sorted(by: { $0.key < $1.key }) {
            counter("rampart_firewall_tag_would_block_total", "Requests detection-only rules would have rejected, by tag.", [("tag", tag)], count)
        }
        counter("rampart_firewall_rule_errors_total", "Rule evaluations that hit a regex match limit.", [], traffic.firewallRuleErrors)
        for (policy, count) in traffic.rateLimitRejections.sorted(by: { $0.key < $1.key }) {
            counter("rampart_ratelimit_rejections_total", "Requests rejected by a rate-limit policy.", [("policy", policy)], count)
        }
        for (policy, count) in traffic.rateLimitShadowRejections.sorted(by: { $0.key < $1.key }) {
            counter("rampart_ratelimit_shadow_rejections_total", "Requests a shadow policy would have rejected.", [("policy", policy)], count)
        }
        counter("rampart_ratelimit_store_errors_total", "Decisions the shared store could not make (on_store_error decided).", [], traffic.rateLimitStoreErrors)
        for kind in TrafficStats.UpstreamError.allCases {
            counter("rampart_upstream_errors_total", "Upstream failures: connect, timeout, reset.", [("kind", kind.rawValue)], traffic.upstreamErrors[kind] ?? 0)
        }
        for upstream in status.upstreams {
            for server in upstream.servers {
                gauge("rampart_upstream_server_healthy", "1 when the server is not backing off after a failure.",
                      [("upstream", upstream.name), ("server", server.address)], server.healthy ? 1 : 0)
            }
        }
        for (label, percentile) in [("0.5", 50.0), ("0.9", 90.0), ("0.99", 99.0)] {
            gauge("rampart_request_duration_seconds", "Request duration percentiles since start (HdrHistogram).", [("quantile", label)],
                  traffic.latencySeconds(percentile: percentile))
        }
        gauge("rampart_request_duration_max_seconds", "The longest request since start.", [], traffic.maxLatencySeconds)
        counter("rampart_request_duration_count", "Requests whose duration was recorded.", [], Int(traffic.latency.totalCount))
        gauge("rampart_rules_loaded", "Firewall rules in use.", [], Double(status.ruleCount))
        gauge("rampart_rules_info", "The rule set in use, by version.", [("version", status.rulesVersion)], 1)
        if let log = status.accessLog {
            counter("rampart_access_log_dropped_lines_total", "Access-log lines lost to failed writes.", [], log.droppedLines)
        }
        if let reload = status.lastReload {
            gauge("rampart_reload_success", "1 when the last reload succeeded, 0 when the old rules kept serving.", [], reload.succeeded ? 1 : 0)
            gauge("rampart_reload_timestamp_seconds", "When the last reload was attempted (Unix time).", [], reload.time.timeIntervalSince1970)
        }
        var text = registry.emitToString()
        if let process { text += process.emitToString() }
        return text
    }

    /// A descriptor for a full metric name `rampart_<name>_<unit>`.
    private static func descriptor(_ fullName: String, _ help: String) -> MetricNameDescriptor {
        var parts = fullName.split(separator: "_").map(String.init)
        let unit = parts.removeLast()
        return MetricNameDescriptor(namespace: parts.removeFirst(), metricName: parts.joined(separator: "_"), unitName: unit, helpText: help)
    }
}
