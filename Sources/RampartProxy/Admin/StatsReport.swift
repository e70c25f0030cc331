import Foundation
import ProxyCore
import ServiceKit

/// The JSON document `GET /stats` answers with (docs/stats.md describes each member).
enum StatsReport {
    static func json(_ status: ProxyStatus) -> JSONValue {
        let traffic = status.traffic
        var classes: [String: JSONValue] = [:]
        for (index, count) in traffic.statusClasses.enumerated() { classes["\(index + 1)xx"] = .int(count) }
        return .object([
            "version": .string(ProxyServer.version),
            "uptime_seconds": .double(Self.rounded(status.uptime)),
            "connections": .object(["open": .int(status.openConnections), "total": .int(traffic.connectionsOpened)]),
            "requests": .object([
                "total": .int(traffic.requests),
                "in_flight": .int(traffic.inFlight),
                "forwarded": .int(traffic.forwarded),
                "by_status": .object(classes),
                "by_route": Self.counts(traffic.routes),
            ]),
            "firewall": .object([
                "blocked": .object(["by_rule": Self.counts(traffic.firewallBlocksByRule), "by_tag": Self.counts(traffic.firewallBlocksByTag)]),
                "would_block": .object([
                    "by_rule": Self.counts(traffic.firewallWouldBlockByRule), "by_tag": Self.counts(traffic.firewallWouldBlockByTag),
                ]),
                "rule_errors": .int(traffic.firewallRuleErrors),
            ]),
            "rate_limit": .object([
                "rejected": Self.counts(traffic.rateLimitRejections),
                "shadow": Self.counts(traffic.rateLimitShadowRejections),
                "store_errors": .int(traffic.rateLimitStoreErrors),
            ]),
            "upstreams": .array(status.upstreams.map { upstream in
                .object([
                    "name": .string(upstream.name),
                    "healthy": .bool(upstream.healthy),
                    "servers": .array(upstream.servers.map { .object(["address": .string($0.address), "healthy": .bool($0.healthy)]) }),
                ])
            }),
            "errors": .object(Dictionary(uniqueKeysWithValues: TrafficStats.UpstreamError.allCases.map { ($0.rawValue, JSONValue.int(traffic.upstreamErrors[$0] ?? 0)) })),
            "latency_seconds": .object([
                "p50": .double(traffic.latencySeconds(percentile: 50)),
                "p90": .double(traffic.latencySeconds(percentile: 90)),
                "p99": .double(traffic.latencySeconds(percentile: 99)),
                "max": .double(traffic.maxLatencySeconds),
                "count": .int(Int(traffic.latency.totalCount)),
            ]),
            "access_log": status.accessLog.map { .object(["path": .string($0.path), "dropped_lines": .int($0.droppedLines)]) } ?? .null,
            "rules": .object([
                "version": .string(status.rulesVersion),
                "count": .int(status.ruleCount),
                "files": .array(status.ruleFiles.map(JSONValue.string)),
                "policies": .array(status.policies.map(JSONValue.string)),
                "last_reload": status.lastReload.map(Self.reload) ?? .null,
            ]),
        ])
    }

    static func reload(_ reload: ReloadStatus) -> JSONValue {
        .object([
            "time": .string(ISO8601DateFormatter().string(from: reload.time)),
            "trigger": .string(reload.trigger.rawValue),
            "result": .string(reload.succeeded ? "ok" : "failed"),
            "error": reload.error.map(JSONValue.string) ?? .null,
            "version": .string(reload.version),
        ])
    }

    private static func counts<Key: CustomStringConvertible>(_ counts: [Key: Int]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.description, JSONValue.int($0.value)) }))
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
