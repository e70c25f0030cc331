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

/// A request description in a box: a `let` of a class instance can be lent to a call as it is, where an array
/// element (even through a buffer pointer) is copied first, retaining its strings and arrays, which was a third
/// of the whole decision's instructions and which the proxy, passing the description it has just built, does not
/// pay. Taking the box costs one retain and release.
final class RequestBox: Sendable {
    let request: RateLimitRequest
    init(_ request: RateLimitRequest) { self.request = request }
}

/// Makes `count` decisions, walking `requests` from `start`.
func decide(_ requests: [RequestBox], from start: Int, count: Int, with limiter: RateLimiter) {
    var index = start
    for _ in 0..<count {
        let box = requests[index]
        withExtendedLifetime(box) { _ = limiter.check(box.request) }
        index = index + 1 == requests.count ? 0 : index + 1
    }
}

/// Makes `count` decisions in batches (``RateLimiter/check(batch:)``), walking `batches` from `start`.
func decide(_ batches: [[RateLimitRequest]], from start: Int, count: Int, with limiter: RateLimiter) {
    var index = start
    for _ in 0..<(count / batches[0].count) {
        _ = limiter.check(batch: batches[index])
        index = index + 1 == batches.count ? 0 : index + 1
    }
}

/// ns per decision with `keys` distinct clients spread over `threads` threads, decided one at a time (`batch` 1)
/// or `batch` at a time: the best of five rounds, since on a shared machine noise only ever adds time.
///
/// The request descriptions are built beforehand and walked in order, so the harness's reads are prefetched
/// (in the proxy, a request's description is fresh in cache); the buckets they lead to lie at random places in
/// the store, as they do for real traffic.
func measure(keys: Int, threads: Int, batch: Int = 1, decisions: Int) -> Double {
    let limiter = RateLimiter(policies: [policy], buckets: LocalBucketStore(maxKeys: 2_000_000))
    let descriptions = (0..<min(keys, 1 << 20)).map { RateLimitRequest(method: "GET", path: "/", clientAddress: address($0)) }
    for request in descriptions { _ = limiter.check(request) }
    let perThread = decisions / threads / 5
    let round: () -> Double
    if batch == 1 {
        let requests = descriptions.map(RequestBox.init)
        round = { timedRound(threads: threads, perThread: perThread) { decide(requests, from: $0 * requests.count / threads, count: $1, with: limiter) } }
    } else {
        // Few keys make one batch of the same key repeated.
        let batches = stride(from: 0, to: descriptions.count * batch, by: batch).prefix(max(1, descriptions.count / batch)).map { start in
            (start..<start + batch).map { descriptions[$0 % descriptions.count] }
        }
        round = { timedRound(threads: threads, perThread: perThread) { decide(batches, from: $0 * batches.count / threads, count: $1, with: limiter) } }
    }
    return (0..<5).map { _ in round() }.min() ?? 0
}

/// ns per decision of one round: `run(thread, decisions)` on each of `threads` threads at once.
func timedRound(threads: Int, perThread: Int, _ run: @Sendable (Int, Int) -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in run(thread, perThread) }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    return elapsed / Double(perThread)
}

/// ns per dependent load at random places in 96 MiB (the 1M-key table's size): the floor under a decision whose
/// bucket is not in cache, measured in the same run because this VM's memory latency varies from day to day.
func memoryLatency() -> Double {
    let count = 96 << 17  // 8-byte entries
    // One random cycle through every entry (Sattolo's algorithm), so each load's address is the previous load.
    var next = Array(0..<count)
    var generator = SystemRandomNumberGenerator()
    for index in stride(from: count - 1, to: 0, by: -1) { next.swapAt(index, Int.random(in: 0..<index, using: &generator)) }
    let steps = 5_000_000
    return (0..<3).map { _ in
        var position = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { position = next[position] }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        precondition(position >= 0)
        return elapsed / Double(steps)
    }.min() ?? 0
}

// `--only KEYS THREADS [DECISIONS] [BATCH]`: one case alone, for a profiler (callgrind wants few decisions).
if let flag = CommandLine.arguments.firstIndex(of: "--only"), let keys = Int(CommandLine.arguments[flag + 1]), let threads = Int(CommandLine.arguments[flag + 2]) {
    let decisions = CommandLine.arguments.count > flag + 3 ? Int(CommandLine.arguments[flag + 3]) ?? 20_000_000 : 20_000_000
    let batch = CommandLine.arguments.count > flag + 4 ? Int(CommandLine.arguments[flag + 4]) ?? 1 : 1
    print("\(keys) keys, \(threads) threads, batches of \(batch): \(Int(measure(keys: keys, threads: threads, batch: batch, decisions: decisions))) ns/decision")
    exit(0)
}

// Memory first, while nothing else has been allocated: freed tables of the timed cases would stay in the
// allocator's heap and be reused here, hiding the growth.
if !CommandLine.arguments.contains("--no-memory") {
    let before = residentBytes()
    let store = LocalBucketStore(maxKeys: 2_000_000)
    let limiter = RateLimiter(policies: [policy], buckets: store)
    for index in 0..<1_000_000 { _ = limiter.check(RateLimitRequest(method: "GET", path: "/", clientAddress: address(index))) }
    let after = residentBytes()
    print("memory: \(store.count) keys, \((after - before) / store.count) bytes per key, \((after - before) >> 20) MiB for 1M keys\n")
}

// `--threads N`: the table for N threads only (Benchmarks/ratelimit.sh pins the one-thread run to a core: on this
// two-core machine the scheduler otherwise moves a busy thread between cores now and then, and a run that is moved
// measures up to 50% slower). Without it, both columns.
let threadCounts = CommandLine.arguments.firstIndex(of: "--threads").flatMap { Int(CommandLine.arguments[$0 + 1]) }.map { [$0] } ?? [1, 2]
// Each thread count one at a time (what the proxy does: it decides each request as its head arrives), then in
// batches of 16 (``RateLimiter/check(batch:)``).
let columns = threadCounts.flatMap { [($0, 1), ($0, 16)] }
let header = columns.map { threads, batch in
    "\(threads) thread\(threads == 1 ? "" : "s")\(batch == 1 ? "" : ", batches of \(batch)"), ns/decision" + (threads > 1 ? " (each)" : "")
}
print("| distinct keys | " + header.joined(separator: " | ") + " |")
print("|---|" + columns.map { _ in "---|" }.joined())
for keys in [1, 10_000, 1_000_000] {
    print("| \(keys) | " + columns.map { String(Int(measure(keys: keys, threads: $0, batch: $1, decisions: 5_000_000))) }.joined(separator: " | ") + " |")
}
if threadCounts == [1] { print("\nmemory latency: \(Int(memoryLatency())) ns per dependent random load in 96 MiB") }
if CommandLine.arguments.contains("--no-memory") { exit(0) }

if let flag = CommandLine.arguments.firstIndex(of: "--redis-port"), let port = Int(CommandLine.arguments[flag + 1]) {
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let redis = RedisBucketStore(connection: RedisConnection(host: "127.0.0.1", port: port, eventLoop: loop))
    let limiter = RateLimiter(policies: [policy])
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
