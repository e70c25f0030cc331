// Rate-limit costs: ns per local decision for 1, 10k and 1M distinct keys on one and two threads, bytes per
// key, and Redis decisions per second with pipelining (`--redis-port N`). Build with -c release.
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import RateLimit
import RateLimitRedis

func residentBytes() -> Int {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

let policy = RateLimitPolicy(name: "per-client", limit: .tokenBucket(rate: Rate(count: 1_000_000, window: 1), burst: 1_000_000, cost: 1))

func address(_ index: Int) -> String { "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)" }

/// Makes `count` decisions, walking `requests` from `start`. Each request description is copied into the call
/// (the compiler does so even from a borrowed array), so the figures include that copy, which the proxy, passing
/// the description it has just built, does not pay.
func decide(_ requests: [RateLimitRequest], from start: Int, count: Int, with limiter: RateLimiter) {
    var index = start
    for _ in 0..<count {
        _ = limiter.check(requests[index])
        index = index + 1 == requests.count ? 0 : index + 1
    }
}

/// ns per decision with `keys` distinct clients spread over `threads` threads: the best of five rounds, since
/// on a shared machine noise only ever adds time.
///
/// The request descriptions are built beforehand and walked in order, so the harness's reads are prefetched
/// (in the proxy, a request's description is fresh in cache); the buckets they lead to lie at random places in
/// the store, as they do for real traffic.
func measure(keys: Int, threads: Int, decisions: Int) -> Double {
    let limiter = RateLimiter(policies: [policy], buckets: LocalBucketStore(maxKeys: 2_000_000))
    let requests = (0..<min(keys, 1 << 20)).map { RateLimitRequest(method: "GET", path: "/", clientAddress: address($0)) }
    for request in requests { _ = limiter.check(request) }
    let perThread = decisions / threads / 5
    return (0..<5).map { _ in timedRound(limiter, requests, threads: threads, perThread: perThread) }.min() ?? 0
}

func timedRound(_ limiter: RateLimiter, _ requests: [RateLimitRequest], threads: Int, perThread: Int) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        decide(requests, from: thread * requests.count / threads, count: perThread, with: limiter)
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    return elapsed / Double(perThread)
}

// `--only KEYS THREADS`: one case alone, for a profiler.
if let flag = CommandLine.arguments.firstIndex(of: "--only"), let keys = Int(CommandLine.arguments[flag + 1]), let threads = Int(CommandLine.arguments[flag + 2]) {
    print("\(keys) keys, \(threads) threads: \(Int(measure(keys: keys, threads: threads, decisions: 20_000_000))) ns/decision")
    exit(0)
}

// `--threads N`: the table for N threads only (Benchmarks/ratelimit.sh pins the one-thread run to a core: on this
// two-core machine the scheduler otherwise moves a busy thread between cores now and then, and a run that is moved
// measures up to 50% slower). Without it, both columns.
let threadCounts = CommandLine.arguments.firstIndex(of: "--threads").flatMap { Int(CommandLine.arguments[$0 + 1]) }.map { [$0] } ?? [1, 2]
print("| distinct keys | " + threadCounts.map { "\($0) thread\($0 == 1 ? "" : "s"), ns/decision" + ($0 > 1 ? " (each)" : "") }.joined(separator: " | ") + " |")
print("|---|" + threadCounts.map { _ in "---|" }.joined())
for keys in [1, 10_000, 1_000_000] {
    print("| \(keys) | " + threadCounts.map { String(Int(measure(keys: keys, threads: $0, decisions: 5_000_000))) }.joined(separator: " | ") + " |")
}
if CommandLine.arguments.contains("--no-memory") { exit(0) }

let before = residentBytes()
let store = LocalBucketStore(maxKeys: 2_000_000)
let limiter = RateLimiter(policies: [policy], buckets: store)
for index in 0..<1_000_000 { _ = limiter.check(RateLimitRequest(method: "GET", path: "/", clientAddress: address(index))) }
let after = residentBytes()
print("\nmemory: \(store.count) keys, \((after - before) / store.count) bytes per key, \((after - before) >> 20) MiB for 1M keys")

if let flag = CommandLine.arguments.firstIndex(of: "--redis-port"), let port = Int(CommandLine.arguments[flag + 1]) {
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let redis = RedisBucketStore(connection: RedisConnection(host: "127.0.0.1", port: port, eventLoop: loop))
    let plans = (0..<10_000).map { limiter.plan(RateLimitRequest(method: "GET", path: "/", clientAddress: address($0))) }
    for depth in [1, 16, 64] {
        let total = 50_000
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<depth {
                group.addTask {
                    for index in stride(from: lane, to: total, by: depth) {
                        _ = try await redis.decide(plans[index % plans.count].takes).get()
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("redis: \(depth) in flight: \(Int(Double(total) / seconds)) decisions/s")
    }
}
