import Foundation
import ProxyCore
import RampartProxy
import ServiceKit
import Testing
import TestSupport

/// The admin listener over real sockets: /stats and /metrics against the traffic that made them, health and
/// readiness, the token beyond loopback, and `POST /reload`.
@Suite struct AdminTests {
    static func withProxyAndAdmin(
        rulesDirectory: String? = nil,
        configure: @escaping @Sendable (inout ProxyConfig) -> Void = { _ in },
        _ body: @Sendable (ProxyHarness, AdminHarness) async throws -> Void
    ) async throws {
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let proxy = try await ProxyHarness.start(backendPort: try #require(client.port), rulesDirectory: rulesDirectory, configure: configure)
            let admin = try await AdminHarness.start(proxy)
            do {
                try await body(proxy, admin)
            } catch {
                await admin.stop()
                try await proxy.stop()
                throw error
            }
            await admin.stop()
            try await proxy.stop()
        }
    }

    /// The value of `name{labels}` in Prometheus text, if present.
    static func metric(_ text: String, _ name: String, _ labels: String = "") -> Double? {
        let prefix = labels.isEmpty ? name + " " : name + "{" + labels + "} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test func statsAndMetricsCountWhatHappened() async throws {
        try await Self.withProxyAndAdmin { proxy, admin in
            for _ in 0..<3 { #expect(try await proxy.request("GET /app/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200) }
            #expect(try await proxy.request("GET /app/?id=1%27%20or%201=1-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 403)
            var limited = 0
            for _ in 0..<5 where try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 429 { limited += 1 }
            #expect(limited == 2, "burst 3 of 1/min: the 4th and 5th are rejected")
            #expect(try await proxy.request("GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 502)

            let stats = try await admin.stats()
            #expect(stats["version"] == .string(ProxyServer.version))
            let requests = try #require(stats["requests"])
            #expect(requests["total"] == 10)
            #expect(requests["by_status"]?["2xx"] == 6)
            #expect(requests["by_status"]?["4xx"] == 3)
            #expect(requests["by_status"]?["5xx"] == 1)
            #expect(requests["by_route"]?["default"] == 4)
            #expect(requests["by_route"]?["burst"] == 5)
            #expect(requests["by_route"]?["dead"] == 1)
            #expect(requests["forwarded"] == 6, "the 200s; the 403, 429s and the refused connection never reached a backend")
            #expect(requests["in_flight"] == 0)
            #expect(stats["connections"]?["total"] == 10)
            let blocked = try #require(stats["firewall"]?["blocked"])
            #expect(blocked["by_rule"]?["190100"] == 1)
            #expect(blocked["by_tag"]?["attack-sqli"] == 1)
            #expect(stats["rate_limit"]?["rejected"]?["burst-test"] == 2)
            #expect(stats["errors"]?["connect"] == 1)
            #expect(stats["latency_seconds"]?["count"] == 10)
            let p50 = try #require(stats["latency_seconds"]?["p50"]?.doubleValue)
            let max = try #require(stats["latency_seconds"]?["max"]?.doubleValue)
            #expect(p50 > 0 && p50 <= max)
            let dead = try #require(stats["upstreams"]?.arrayValue?.first { $0["name"] == "dead" })
            #expect(dead["healthy"] == false, "its only server refused a connection and is backing off")
            #expect(stats["rules"]?["count"]?.intValue ?? 0 > 50)
            #expect(stats["rules"]?["last_reload"] == .null)

            let metrics = try await admin.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = metrics.text
            #expect(Self.metric(text, "rampart_requests_total", "status_class=\"2xx\"") == 6)
            #expect(Self.metric(text, "rampart_requests_total", "status_class=\"4xx\"") == 3)
            #expect(Self.metric(text, "rampart_route_requests_total", "route=\"burst\"") == 5)
            #expect(Self.metric(text, "rampart_firewall_blocks_total", "rule_id=\"190100\"") == 1)
            #expect(Self.metric(text, "rampart_ratelimit_rejections_total", "policy=\"burst-test\"") == 2)
            #expect(Self.metric(text, "rampart_upstream_errors_total", "kind=\"connect\"") == 1)
            #expect(Self.metric(text, "rampart_upstream_server_healthy", "upstream=\"dead\",server=\"\(dead["servers"]?.arrayValue?.first?["address"]?.stringValue ?? "")\"") == 0)
            #expect(Self.metric(text, "rampart_request_duration_count") == 10)
            #expect(text.contains("# TYPE rampart_requests_total counter"))
        }
    }

    @Test func healthAndReadiness() async throws {
        try await Self.withProxyAndAdmin { proxy, admin in
            let health = try await admin.request("GET", "/healthz")
            #expect(health.status == 200)
            #expect(try JSONValue(parsing: health.body)["status"] == "ok")
            #expect(try await admin.request("GET", "/readyz").status == 200, "every upstream has a server not yet known to fail")

            #expect(try await proxy.request("GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 502)
            let notReady = try await admin.request("GET", "/readyz")
            #expect(notReady.status == 503)
            let body = try JSONValue(parsing: notReady.body)
            #expect(body["code"] == 503)
            #expect(body["description"]?.stringValue?.contains("upstream \"dead\" has no healthy server") == true)

            let unknown = try await admin.request("GET", "/nope")
            #expect(unknown.status == 404)
            #expect(try JSONValue(parsing: unknown.body)["code"] == 404, "the admin listener answers errors with the shared JSON body")
        }
    }

    @Test func aNonLoopbackAdminListenerNeedsAToken() async throws {
        var config = ProxyConfig()
        config.adminListen = ProxyConfig.Address(host: "0.0.0.0", port: 9901)
        #expect(config.adminTokenProblem?.contains("RAMPART_ADMIN_TOKEN") == true)
        config.adminListen = ProxyConfig.Address(host: "::1", port: 9901)
        #expect(config.adminTokenProblem == nil)

        let yaml = "admin:\n  listen: 0.0.0.0:9901\n"
        #expect(throws: (any Error).self) { try ProxyConfigFile.parse(yaml, file: "rampart.yaml") }
        let withToken = try ProxyConfigFile.parse(yaml, file: "rampart.yaml", environment: ["RAMPART_ADMIN_TOKEN": "s3cret"])
        #expect(withToken.adminToken == "s3cret")
    }

    @Test func theTokenGuardsEverythingButHealthAndThePage() async throws {
        try await Self.withProxyAndAdmin(configure: { config in
            config.adminListen = ProxyConfig.Address(host: "0.0.0.0", port: 0)
            config.adminToken = "s3cret"
        }) { _, admin in
            let refused = try await admin.request("GET", "/stats")
            #expect(refused.status == 401)
            #expect(refused.header("www-authenticate") == "Bearer")
            #expect(try JSONValue(parsing: refused.body)["code"] == 401)
            #expect(try await admin.request("GET", "/stats", token: "wrong").status == 401)
            #expect(try await admin.request("POST", "/reload").status == 401)
            #expect(try await admin.request("GET", "/stats", token: "s3cret").status == 200)
            #expect(try await admin.request("GET", "/metrics", token: "s3cret").status == 200)
            #expect(try await admin.request("GET", "/healthz").status == 200)
            #expect(try await admin.request("GET", "/readyz").status == 200)
            #expect(try await admin.request("GET", "/").status == 200)
        }
    }

    @Test func theHealthCommandAsksTheAdminListener() async throws {
        try await Self.withProxyAndAdmin { proxy, admin in
            let directory = NSTemporaryDirectory() + "rampart-health-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/rampart.yaml"
            try "admin: {listen: 127.0.0.1:\(admin.port)}\n".write(toFile: config, atomically: true, encoding: .utf8)
            let healthy = try await runProgram(CheckCommandTests.binary, ["health", "--timeout", "20", "--config", config])
            #expect(healthy.status == 0, "\(healthy.errors) \(healthy.output)")
            #expect(healthy.output.contains("/healthz: ok"))

            #expect(try await proxy.request("GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 502)
            let notReady = try await runProgram(CheckCommandTests.binary, ["health", "--ready", "--timeout", "20", "--config", config])
            #expect(notReady.status == 1)
            #expect(notReady.errors.contains("/readyz answered 503"))

            try "admin: {listen: 127.0.0.1:\(try freePort())}\n".write(toFile: config, atomically: true, encoding: .utf8)
            let down = try await runProgram(CheckCommandTests.binary, ["health", "--config", config])
            #expect(down.status == 1)
            #expect(down.errors.contains("Connection refused"))
        }
    }

    @Test func postReloadReportsTheErrorAndKeepsTheOldRules() async throws {
        let rules = try RulesFixture()
        try await Self.withProxyAndAdmin(rulesDirectory: rules.root) { proxy, admin in
            let ok = try await admin.request("POST", "/reload")
            #expect(ok.status == 200)
            #expect(try JSONValue(parsing: ok.body)["result"] == "ok")

            try rules.write("firewall/broken.yaml", "rules:\n  - id: 1\n    message: x\n    operator: regex\n    argument: '(unclosed'\n    targets: [args]\n")
            let failed = try await admin.request("POST", "/reload")
            #expect(failed.status == 422)
            let body = try JSONValue(parsing: failed.body)
            #expect(body["code"] == 422)
            #expect(body["error"]?.stringValue?.contains("broken.yaml:5:") == true, "file:line of the bad regex: \(body)")
            let reload = try #require(try await admin.stats()["rules"]?["last_reload"])
            #expect(reload["result"] == "failed")
            #expect(reload["trigger"] == "api")
            #expect(reload["error"]?.stringValue?.contains("broken.yaml") == true)
            #expect(try await proxy.request("GET /app/?id=1%27%20or%201=1-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 403, "the old rules keep serving")
        }
    }

    @Test func rateLimitBucketsOfUnchangedPoliciesSurviveAReload() async throws {
        let rules = try RulesFixture(policies: """
            policies:
              - {name: kept, match: {path_prefix: /burst}, rate: 1/min, burst: 2}
              - {name: changed, match: {path_prefix: /app}, rate: 1/min, burst: 2}
            """)
        try await Self.withProxyAndAdmin(rulesDirectory: rules.root) { proxy, _ in
            for path in ["/burst", "/burst", "/app/x", "/app/x"] {
                #expect(try await proxy.request("GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)
            }
            try rules.write("ratelimits.yaml", """
                policies:
                  - {name: kept, match: {path_prefix: /burst}, rate: 1/min, burst: 2}
                  - {name: changed, match: {path_prefix: /app}, rate: 1/min, burst: 3}
                """)
            #expect(await proxy.server.reload(trigger: .api).succeeded)
            #expect(try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 429, "the unchanged policy's bucket is still empty")
            #expect(try await proxy.request("GET /app/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200, "a changed policy starts with a full bucket")
        }
    }
}

/// A copy of the repository's firewall rules with a policy file of the test's own, in a temporary directory.
struct RulesFixture: Sendable {
    let root: String

    init(policies: String = "policies:\n  - {name: burst-test, match: {path_prefix: /burst}, rate: 1/min, burst: 3}\n") throws {
        self.root = NSTemporaryDirectory() + "rampart-rules-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot + "/rules/firewall", toPath: self.root + "/firewall")
        try self.write("ratelimits.yaml", policies)
    }

    /// Writes `text` to `path` under the root, replacing the file at once (as editors that rename do).
    func write(_ path: String, _ text: String) throws {
        try text.write(toFile: self.root + "/" + path, atomically: true, encoding: .utf8)
    }

    /// Removes `path` under the root.
    func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: self.root + "/" + path)
    }
}
