import NetworkAddress
import RateLimit
import TestSupport
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let time = Locked(0.0)
    var now: @Sendable () -> Double { { self.time.withLock { $0 } } }
    func advance(_ seconds: Double) { self.time.withLock { $0 += seconds } }
}

func request(_ address: String = "192.0.2.1", path: String = "/api", headers: [(name: String, value: String)] = []) -> RateLimitRequest {
    RateLimitRequest(method: "GET", path: path, clientAddress: address, headers: headers)
}

@Suite("Rates and token buckets")
struct TokenBucketTests {
    @Test func ratesParseAsWritten() throws {
        #expect(try Rate(parsing: "100/s") == Rate(count: 100, window: 1))
        #expect(try Rate(parsing: "5/min") == Rate(count: 5, window: 60))
        #expect(try Rate(parsing: "1000 / hour") == Rate(count: 1000, window: 3600))
        #expect(try Rate(parsing: "20/10s") == Rate(count: 20, window: 10))
        #expect(try Rate(parsing: "5/min").perSecond == 5.0 / 60)
        for bad in ["100", "0/s", "-1/s", "ten/s", "5/fortnight", "5/0s"] {
            #expect(throws: RateError.self, "\(bad)") { try Rate(parsing: bad) }
        }
    }

    /// With rate r, burst b and a steady load above the limit for T seconds, b + r·T requests pass, ±1.
    @Test(arguments: [(rate: "5/s", burst: 10, seconds: 10.0), (rate: "100/s", burst: 1, seconds: 3.0), (rate: "30/min", burst: 5, seconds: 120.0)])
    func acceptsBurstPlusRateTimesTime(rate: String, burst: Int, seconds: Double) throws {
        let clock = ManualClock()
        let parsed = try Rate(parsing: rate)
        let limiter = RateLimiter(
            policies: [RateLimitPolicy(name: "p", limit: .tokenBucket(rate: parsed, burst: burst, cost: 1))],
            buckets: LocalBucketStore(now: clock.now)
        )
        var accepted = 0
        let step = 0.25 / parsed.perSecond  // four attempts per token: well above the limit
        var elapsed = 0.0
        while elapsed <= seconds {
            if limiter.check(request()).allowed { accepted += 1 }
            clock.advance(step)
            elapsed += step
        }
        let expected = Double(burst) + parsed.perSecond * seconds
        #expect(abs(Double(accepted) - expected) <= 1, "accepted \(accepted), expected \(expected)")
    }

    @Test func costTakesSeveralTokens() {
        let clock = ManualClock()
        let limiter = RateLimiter(
            policies: [RateLimitPolicy(name: "expensive", limit: .tokenBucket(rate: Rate(count: 1, window: 1), burst: 10, cost: 4))],
            buckets: LocalBucketStore(now: clock.now)
        )
        #expect(limiter.check(request()).allowed)
        #expect(limiter.check(request()).allowed)
        let refused = limiter.check(request())
        #expect(!refused.allowed)
        #expect(refused.rejection?.remaining == 2)
        #expect(refused.retryAfter == 2, "2 tokens missing at 1/s")
    }
}

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test func concurrentDecisionsNeitherLoseNorDoubleSpendTokens() async {
        let clock = ManualClock()
        let store = LocalBucketStore(now: clock.now)
        let limiter = RateLimiter(
            policies: [
                RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1_000, cost: 1)),
                RateLimitPolicy(name: "global", key: [], limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1_500, cost: 1)),
            ],
            buckets: store
        )
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for _ in 0..<1_000 where limiter.check(request()).allowed { count += 1 }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 1_000, "exactly the burst passes across four concurrent tasks")
        let next = limiter.check(request())
        #expect(next.verdicts.map(\.remaining) == [0, 500], "the second policy lost no tokens to refused requests")
    }

    /// Policy sets that take each of the limiter's paths: the per-client bucket alone, one of several token
    /// policies or none of them, several at once, and a concurrency policy.
    static let policySets: [[RateLimitPolicy]] = [
        [RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 2, cost: 1))],
        [
            RateLimitPolicy(name: "api", match: RequestMatch(pathPrefix: "/api"), limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 3, cost: 1)),
            RateLimitPolicy(name: "login", match: RequestMatch(pathPrefix: "/login"), limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 1, cost: 1)),
            RateLimitPolicy(name: "api-v2", match: RequestMatch(pathPrefix: "/api/v2"), limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 2, cost: 1)),
        ],
        [
            RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 2, cost: 1)),
            RateLimitPolicy(name: "in-flight", limit: .concurrency(limit: 3)),
        ],
    ]

    /// Requests repeating clients and paths, so one batch holds the same bucket several times.
    static let mixedRequests: [RateLimitRequest] = (0..<40).map { index in
        request("192.0.2.\(index % 3)", path: ["/api/a", "/login", "/api/v2/b", "/static"][index % 4])
    }

    @Test(arguments: policySets.indices)
    func batchesDecideAsOneAtATime(policySet: Int) {
        let policies = Self.policySets[policySet]
        let single = RateLimiter(policies: policies, buckets: LocalBucketStore(now: ManualClock().now))
        let batched = RateLimiter(policies: policies, buckets: LocalBucketStore(now: ManualClock().now))
        let expected = Self.mixedRequests.map { single.check($0).verdicts }
        let decisions = stride(from: 0, to: Self.mixedRequests.count, by: 16).flatMap { start in
            batched.check(batch: Array(Self.mixedRequests[start..<min(start + 16, Self.mixedRequests.count)]))
        }
        #expect(decisions.map(\.verdicts) == expected)
        #expect(expected.contains { $0.contains { !$0.allowed } }, "some requests are refused, so the order of decisions matters")
        #expect(batched.check(batch: []).isEmpty)
    }

    @Test(arguments: policySets.indices)
    func preparedRequestsDecideAsCheckWould(policySet: Int) {
        let policies = Self.policySets[policySet]
        let direct = RateLimiter(policies: policies, buckets: LocalBucketStore(now: ManualClock().now))
        let prepared = RateLimiter(policies: policies, buckets: LocalBucketStore(now: ManualClock().now))
        for request in Self.mixedRequests {
            let ticket = prepared.prepare(request)
            #expect(prepared.check(prepared: ticket).verdicts == direct.check(request).verdicts)
        }
    }

    @Test func onePolicyRefusingTakesNoTokensFromTheOthers() {
        let clock = ManualClock()
        let limiter = RateLimiter(
            policies: [
                RateLimitPolicy(name: "wide", limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 5, cost: 1)),
                RateLimitPolicy(name: "narrow", match: RequestMatch(pathPrefix: "/login"),
                                limit: .tokenBucket(rate: Rate(count: 1, window: 60), burst: 2, cost: 1)),
            ],
            buckets: LocalBucketStore(now: clock.now)
        )
        #expect(limiter.check(request(path: "/login")).allowed)
        #expect(limiter.check(request(path: "/login")).allowed)
        let refused = limiter.check(request(path: "/login"))
        #expect(refused.rejection?.policy == "narrow")
        #expect(refused.verdicts.first?.remaining == 3, "wide still has 3: nothing was taken for the refused request")
        // Only "wide" applies here, so the decision takes the one-policy path: it must find the bucket the
        // two-policy decisions above filled.
        let other = limiter.check(request(path: "/other"))
        #expect(other.verdicts.map(\.policy) == ["wide"])
        #expect(other.verdicts.first?.remaining == 2)
    }

    @Test func shadowPoliciesReportButNeverRefuse() {
        let limiter = RateLimiter(policies: [
            RateLimitPolicy(name: "trial", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1, cost: 1), mode: .shadow),
        ], buckets: LocalBucketStore(now: ManualClock().now))
        #expect(limiter.check(request()).shadowRejections.isEmpty)
        let second = limiter.check(request())
        #expect(second.allowed)
        #expect(second.shadowRejections.map(\.policy) == ["trial"])
    }

    @Test func missingKeysSkipOrFallBackToTheAddress() {
        let apiKey = RateLimitPolicy(name: "api-key", key: [.header("X-API-Key")],
                                     limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1, cost: 1))
        var fallback = apiKey
        fallback.name = "api-key-or-address"
        fallback.missing = .clientAddress
        let limiter = RateLimiter(policies: [apiKey, fallback], buckets: LocalBucketStore(now: ManualClock().now))
        let anonymous = limiter.check(request())
        #expect(anonymous.verdicts.map(\.policy) == ["api-key-or-address"])
        #expect(!limiter.check(request()).allowed, "the same address is the same key")
        #expect(limiter.check(request("192.0.2.2")).allowed)
        let keyed = limiter.check(request(headers: [("X-API-Key", "k1")]))
        #expect(keyed.verdicts.map(\.policy) == ["api-key", "api-key-or-address"])
        #expect(keyed.allowed)
    }

    /// A caller leaves out cookies and header fields no policy keys on.
    @Test func theLimiterTellsWhetherItReadsCookiesOrHeaders() {
        let limit = RateLimitPolicy.Limit.tokenBucket(rate: Rate(count: 1, window: 1), burst: 1, cost: 1)
        let byAddress = RateLimitPolicy(name: "a", key: [.clientAddress()], limit: limit)
        let byHeader = RateLimitPolicy(name: "h", key: [.route, .header("X-API-Key")], limit: limit)
        let byCookie = RateLimitPolicy(name: "c", key: [.cookie("session")], limit: limit)
        for (policies, cookies, headers) in [([byAddress], false, false), ([byAddress, byHeader], false, true), ([byCookie], true, false)] {
            let limiter = RateLimiter(policies: policies)
            #expect(limiter.readsCookies == cookies)
            #expect(limiter.readsHeaders == headers)
        }
    }

    @Test func addressesGroupByPrefix() {
        #expect(AddressPrefix.network(of: "203.0.113.77", ipv4Prefix: 24, ipv6Prefix: 64) == "203.0.113.0/24")
        #expect(AddressPrefix.network(of: "203.0.113.77", ipv4Prefix: 32, ipv6Prefix: 64) == "203.0.113.77")
        #expect(AddressPrefix.network(of: "2001:db8:1:2:3:4:5:6", ipv4Prefix: 24, ipv6Prefix: 64) == "2001:db8:1:2::/64")
        #expect(AddressPrefix.network(of: "2001:db8:1:2:3:4:5:6", ipv4Prefix: 24, ipv6Prefix: 48) == "2001:db8:1::/48")
        #expect(AddressPrefix.network(of: "not-an-ip", ipv4Prefix: 24, ipv6Prefix: 64) == "not-an-ip")

        let limiter = RateLimiter(policies: [
            RateLimitPolicy(name: "per-net", key: [.clientAddress(ipv4Prefix: 24, ipv6Prefix: 64)],
                            limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1, cost: 1)),
        ], buckets: LocalBucketStore(now: ManualClock().now))
        #expect(limiter.check(request("198.51.100.1")).allowed)
        #expect(!limiter.check(request("198.51.100.254")).allowed, "same /24")
        #expect(limiter.check(request("198.51.101.1")).allowed)
    }

    @Test func concurrencyPoliciesLimitRequestsInFlight() {
        let limiter = RateLimiter(policies: [RateLimitPolicy(name: "in-flight", limit: .concurrency(limit: 2))])
        let first = limiter.check(request())
        let second = limiter.check(request())
        let third = limiter.check(request())
        #expect(first.allowed && second.allowed)
        #expect(third.rejection?.policy == "in-flight")
        #expect(third.permits.isEmpty)
        limiter.release(first)
        let fourth = limiter.check(request())
        #expect(fourth.allowed)
        #expect(fourth.verdicts.first?.remaining == 0)
    }

    @Test func headersFollowTheIETFDraft() {
        let clock = ManualClock()
        let limiter = RateLimiter(policies: [
            RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 100, window: 1), burst: 100, cost: 1)),
            RateLimitPolicy(name: "daily", limit: .tokenBucket(rate: Rate(count: 1, window: 3), burst: 1, cost: 1)),
        ], buckets: LocalBucketStore(now: clock.now))
        let first = RateLimitHeaders.fields(for: limiter.check(request()))
        #expect(first.map(\.name) == ["RateLimit-Policy", "RateLimit"])
        #expect(first[0].value == #""per-client";q=100;w=1, "daily";q=1;w=3"#)
        #expect(first[1].value == #""per-client";r=99;t=1, "daily";r=0;t=3"#)
        let refused = RateLimitHeaders.fields(for: limiter.check(request()))
        #expect(refused[1].value == #""per-client";r=99;t=1, "daily";r=0;t=3"#)
        #expect(refused.last?.name == "Retry-After")
        #expect(refused.last?.value == "3")
    }

    @Test func memoryIsBoundedAndBucketsSurviveAReload() {
        let clock = ManualClock()
        let store = LocalBucketStore(maxKeys: 1_000, shardCount: 8, now: clock.now)
        let policy = RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 2, cost: 1))
        let limiter = RateLimiter(policies: [policy], buckets: store)
        for index in 0..<10_000 { _ = limiter.check(request("10.\(index / 65_536).\(index / 256 % 256).\(index % 256)")) }
        #expect(store.count <= 1_000)

        _ = limiter.check(request("192.0.2.9"))
        _ = limiter.check(request("192.0.2.9"))
        let reloaded = RateLimiter(policies: [policy], buckets: store)
        #expect(!reloaded.check(request("192.0.2.9")).allowed, "an unchanged policy keeps its buckets")
        var changed = policy
        changed.limit = .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 3, cost: 1)
        #expect(RateLimiter(policies: [changed], buckets: store).check(request("192.0.2.9")).allowed, "a changed one starts afresh")
    }

    @Test func evictionNeverJudgesABucketByAnotherPolicysBurst() {
        let clock = ManualClock()
        let store = LocalBucketStore(maxKeys: 2, shardCount: 1, now: clock.now)
        let narrow = RateLimiter(policies: [
            RateLimitPolicy(name: "narrow", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 1, cost: 1)),
        ], buckets: store)
        let wide = RateLimiter(policies: [
            RateLimitPolicy(name: "wide", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 10, cost: 1)),
        ], buckets: store)
        _ = narrow.check(request("192.0.2.1"))
        clock.advance(1)
        #expect(wide.check(request("192.0.2.9")).verdicts.first?.remaining == 9)
        clock.advance(1)
        _ = narrow.check(request("192.0.2.2"))  // the shard is full: something must go
        #expect(wide.check(request("192.0.2.9")).verdicts.first?.remaining == 8, "the wide bucket, 9 of 10, is not full and was kept")
    }
}
