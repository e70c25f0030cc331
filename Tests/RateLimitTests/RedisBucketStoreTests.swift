import NIOCore
import NIOPosix
import RateLimit
import RateLimitRedis
import TestSupport
import Testing

@Suite("Redis store (real redis-server)")
struct RedisBucketStoreTests {
    let redis: RedisServer
    let group = MultiThreadedEventLoopGroup.singleton

    init() throws { self.redis = try RedisServer() }

    func connection(_ loop: (any EventLoop)? = nil) async throws -> RedisConnection {
        try await self.redis.ready()
        return RedisConnection(host: "127.0.0.1", port: self.redis.port, eventLoop: loop ?? self.group.next())
    }

    func policy(_ name: String = "p", rate: Rate, burst: Int, mode: RateLimitPolicy.Mode = .enforce) -> RateLimitPolicy {
        RateLimitPolicy(name: name, limit: .tokenBucket(rate: rate, burst: burst, cost: 1), mode: mode)
    }

    func decide(_ limiter: RateLimiter, _ store: RedisBucketStore, _ request: RateLimitRequest, now: Double? = nil) async -> RateLimitDecision {
        let plan = limiter.plan(request)
        do {
            return limiter.finish(plan, outcomes: try await store.decide(plan.takes, now: now).get())
        } catch {
            return limiter.finish(plan, storeFailure: error)
        }
    }

    @Test func pipelinedCommandsGetTheirOwnReplies() async throws {
        let connection = try await self.connection()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<500 {
                tasks.addTask {
                    _ = try await connection.send(["SET", "key\(index)", "value\(index)"]).get()
                    let value = try await connection.send(["GET", "key\(index)"]).get()
                    #expect(value.string == "value\(index)")
                }
            }
            try await tasks.waitForAll()
        }
        await #expect(throws: RedisConnectionError.self) { try await connection.send(["NOSUCHCOMMAND"]).get() }
    }

    @Test func acceptsBurstPlusRateTimesTime() async throws {
        let store = RedisBucketStore(connection: try await self.connection())
        let limiter = RateLimiter(policies: [self.policy(rate: Rate(count: 5, window: 1), burst: 10)])
        var accepted = 0
        var now = 1_000.0
        while now <= 1_010 {
            if await self.decide(limiter, store, request(), now: now).allowed { accepted += 1 }
            now += 0.05
        }
        #expect(abs(accepted - 60) <= 1, "accepted \(accepted), expected 10 + 5 × 10")
    }

    @Test func instancesOnDifferentLoopsShareBucketsWithoutDoubleSpending() async throws {
        let limiter = RateLimiter(policies: [
            self.policy("tight", rate: Rate(count: 1, window: 3600), burst: 300),
            self.policy("loose", rate: Rate(count: 1, window: 3600), burst: 1_000),
        ])
        let stores = try await [self.connection(self.group.next()), self.connection(self.group.next())].map { RedisBucketStore(connection: $0) }
        let allowed = await withTaskGroup(of: Int.self) { tasks in
            for store in stores {
                for _ in 0..<4 {
                    tasks.addTask {
                        var count = 0
                        for _ in 0..<100 where await self.decide(limiter, store, request()).allowed { count += 1 }
                        return count
                    }
                }
            }
            return await tasks.reduce(0, +)
        }
        #expect(allowed == 300)
        let after = await self.decide(limiter, stores[0], request())
        #expect(after.verdicts.map(\.remaining) == [0, 700], "refused requests took nothing from the loose policy")
    }

    @Test func aFlushedScriptIsLoadedAgain() async throws {
        let connection = try await self.connection()
        let store = RedisBucketStore(connection: connection)
        let limiter = RateLimiter(policies: [self.policy(rate: Rate(count: 1, window: 60), burst: 2)])
        #expect(await self.decide(limiter, store, request()).allowed)
        _ = try await connection.send(["SCRIPT", "FLUSH"]).get()
        let second = await self.decide(limiter, store, request())
        #expect(second.allowed && !second.storeFailed)
        #expect(!(await self.decide(limiter, store, request())).allowed)
    }

    @Test func aDroppedConnectionReconnects() async throws {
        let connection = try await self.connection()
        #expect(try await connection.send(["PING"]).get() == .simpleString("PONG"))
        let other = try await self.connection()
        _ = try await other.send(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).get()
        var reply: RESPValue?
        for _ in 0..<3 where reply == nil { reply = try? await connection.send(["PING"]).get() }
        #expect(reply == .simpleString("PONG"))
    }

    @Test func unreachableRedisFollowsOnStoreError() async throws {
        let port = try freePort()
        let store = RedisBucketStore(connection: RedisConnection(host: "127.0.0.1", port: port, eventLoop: self.group.next()))
        var open = self.policy("open", rate: Rate(count: 1, window: 1), burst: 1)
        open.onStoreError = .allow
        var closed = self.policy("closed", rate: Rate(count: 1, window: 1), burst: 1)
        closed.onStoreError = .reject
        let lenient = await self.decide(RateLimiter(policies: [open]), store, request())
        #expect(lenient.allowed && lenient.storeFailed)
        let strict = await self.decide(RateLimiter(policies: [open, closed]), store, request())
        #expect(!strict.allowed && strict.storeFailed)
        #expect(strict.rejection?.policy == "closed")
    }

    @Test func aSilentServerTimesOut() async throws {
        let silent = try await ServerBootstrap(group: self.group).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let connection = RedisConnection(host: "127.0.0.1", port: silent.localAddress?.port ?? 0, eventLoop: self.group.next(),
                                         commandTimeout: .milliseconds(100))
        await #expect(throws: RedisConnectionError.timeout) { try await connection.send(["PING"]).get() }
    }
}
