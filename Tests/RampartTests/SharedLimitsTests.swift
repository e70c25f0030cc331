import Foundation
import ProxyCore
import RampartProxy
import ServiceKit
import Testing
import TestSupport

/// Rate limits shared through a real `redis-server`: instances count against one bucket, an unreachable store
/// follows each policy's `on_store_error`, and requests waiting for Redis keep their bodies and their order.
@Suite struct SharedLimitsTests {
    static func withProxies(
        count: Int, policies: String, store: ProxyConfig.RateLimitStore,
        _ body: @Sendable ([ProxyHarness], Locked<Int>) async throws -> Void
    ) async throws {
        let rules = try RulesFixture(policies: policies)
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let backendPort = try #require(client.port)
            var proxies: [ProxyHarness] = []
            for _ in 0..<count {
                proxies.append(try await ProxyHarness.start(backendPort: backendPort, rulesDirectory: rules.root) { $0.rateLimitStore = store })
            }
            do {
                try await body(proxies, seen)
            } catch {
                for proxy in proxies { try await proxy.stop() }
                throw error
            }
            for proxy in proxies { try await proxy.stop() }
        }
    }

    @Test func twoInstancesShareOneBucket() async throws {
        let redis = try RedisServer()
        try await redis.ready()
        let store = ProxyConfig.RateLimitStore.redis(ProxyConfig.Address(host: "127.0.0.1", port: redis.port), timeout: 5)
        try await Self.withProxies(count: 2, policies: "policies:\n  - {name: shared, match: {path_prefix: /burst}, rate: 1/min, burst: 3}\n", store: store) { proxies, seen in
            var statuses: [Int] = []
            for index in 0..<6 {
                let response = try await proxies[index % 2].request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                statuses.append(response.status)
                if response.status == 429 {
                    #expect(response.header("retry-after") != nil)
                    #expect(try JSONValue(parsing: response.body)["policy"] == "shared")
                }
            }
            #expect(statuses == [200, 200, 200, 429, 429, 429], "three tokens in all, however the requests are spread")
            #expect(seen.withLock { $0 } == 3)
            let rejected = await proxies[0].server.status().traffic.rateLimitRejections["shared", default: 0]
                + proxies[1].server.status().traffic.rateLimitRejections["shared", default: 0]
            #expect(rejected == 3)
        }
    }

    @Test func anUnreachableStoreFollowsOnStoreError() async throws {
        let policies = """
            policies:
              - {name: lenient, match: {path_prefix: /app}, rate: 10/s, burst: 10, on_store_error: allow}
              - {name: strict, match: {path_prefix: /burst}, rate: 10/s, burst: 10, on_store_error: reject}
            """
        let unreachable = try RefusingPort()
        defer { withExtendedLifetime(unreachable) {} }
        let store = ProxyConfig.RateLimitStore.redis(ProxyConfig.Address(host: "127.0.0.1", port: unreachable.port), timeout: 0.3)
        try await Self.withProxies(count: 1, policies: policies, store: store) { proxies, seen in
            let proxy = proxies[0]
            let lenient = try await proxy.request("GET /app/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let strict = try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(lenient.status == 200, "on_store_error: allow")
            #expect(strict.status == 429, "on_store_error: reject")
            #expect(seen.withLock { $0 } == 1)
            #expect(await proxy.server.status().traffic.rateLimitStoreErrors == 2)
        }
    }

    @Test func requestsWaitingForRedisKeepTheirBodiesAndOrder() async throws {
        let redis = try RedisServer()
        try await redis.ready()
        let store = ProxyConfig.RateLimitStore.redis(ProxyConfig.Address(host: "127.0.0.1", port: redis.port), timeout: 5)
        try await Self.withProxies(count: 1, policies: "policies:\n  - {name: roomy, rate: 100/s, burst: 100}\n", store: store) { proxies, _ in
            let port = proxies[0].port
            let responses = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                // Three pipelined requests in one write, two with bodies: each waits for Redis in turn.
                connection.send(
                    "POST /app/one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                        + "GET /app/two HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "POST /app/three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                )
                return try (0..<3).map { _ in try connection.readResponse() }
            }
            let echoes = try responses.map { try JSONValue(parsing: $0.body) }
            #expect(responses.map(\.status) == [200, 200, 200])
            #expect(echoes.map { $0["path"] } == ["/app/one", "/app/two", "/app/three"])
            #expect(echoes.map { $0["body_bytes"] } == [5, 0, 3])
        }
    }
}
