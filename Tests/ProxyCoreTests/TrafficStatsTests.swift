import ProxyCore
import Testing

/// Per-loop counters and their merge into one report.
@Suite struct TrafficStatsTests {
    @Test func responsesCountByClassRouteAndLatency() {
        var stats = TrafficStats()
        stats.recordResponse(status: 200, route: "api", microseconds: 1_000)
        stats.recordResponse(status: 204, route: "api", microseconds: 2_000)
        stats.recordResponse(status: 404, route: nil, microseconds: 500)
        stats.recordResponse(status: 101, route: "ws", microseconds: 0)
        stats.recordResponse(status: 599, route: "api", microseconds: 100_000)
        #expect(stats.statusClasses == [1, 2, 0, 1, 1])
        #expect(stats.requests == 5)
        #expect(stats.routes == ["api": 3, TrafficStats.noRoute: 1, "ws": 1])
        #expect(stats.latency.totalCount == 5)
        #expect(abs(stats.latencySeconds(percentile: 50) - 0.001) < 0.00002)
        #expect(abs(stats.maxLatencySeconds - 0.1) < 0.001)
    }

    @Test func aRequestCountsOncePerTagHoweverManyRulesShareIt() {
        var stats = TrafficStats()
        stats.recordFirewall(blockingRules: [(1, ["sqli", "attack"]), (2, ["sqli"])], blocked: true)
        stats.recordFirewall(blockingRules: [(3, ["xss"])], blocked: false)
        #expect(stats.firewallBlocksByRule == [1: 1, 2: 1])
        #expect(stats.firewallBlocksByTag == ["sqli": 1, "attack": 1])
        #expect(stats.firewallWouldBlockByRule == [3: 1])
        #expect(stats.firewallWouldBlockByTag == ["xss": 1])
    }

    @Test func mergingAddsEveryCounterAndTheHistograms() {
        var first = TrafficStats()
        first.connectionsOpened = 3
        first.connectionsClosed = 1
        first.inFlight = 1
        first.recordResponse(status: 200, route: "a", microseconds: 10)
        first.rateLimitRejections["p"] = 2
        first.upstreamErrors[.connect] = 1
        var second = TrafficStats()
        second.connectionsOpened = 2
        second.recordResponse(status: 200, route: "a", microseconds: 1_000_000)
        second.rateLimitRejections["p"] = 1
        second.rateLimitShadowRejections["s"] = 4
        second.upstreamErrors[.timeout] = 2
        second.forwarded = 5
        first.merge(second)
        #expect(first.connectionsOpened == 5)
        #expect(first.connectionsOpen == 4)
        #expect(first.routes == ["a": 2])
        #expect(first.rateLimitRejections == ["p": 3])
        #expect(first.rateLimitShadowRejections == ["s": 4])
        #expect(first.upstreamErrors == [.connect: 1, .timeout: 2])
        #expect(first.forwarded == 5)
        #expect(first.inFlight == 1)
        #expect(first.latency.totalCount == 2)
        #expect(abs(first.maxLatencySeconds - 1) < 0.01)
    }
}
