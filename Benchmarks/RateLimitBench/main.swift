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

/// ns per decision with `keys` distinct clients spread over `threads` threads.
func measure(keys: Int, threads: Int, decisions: Int) -> Double {
    let limiter = RateLimiter(policies: [policy], buckets: LocalBucketStore(maxKeys: 2_000_000))
    let requests = (0..<min(keys, 1 << 20)).map { RateLimitRequest(method: "GET", path: "/", clientAddress: address($0)) }
    for request in requests { _ = limiter.check(request) }
    let perThread = decisions / threads
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var index = thread &* 7919
        for _ in 0..<perThread {
            index = (index &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
            _ = limiter.check(requests[index % requests.count])
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    return elapsed / Double(perThread)
}

// `--only KEYS THREADS`: one case alone, for a profiler.
if let flag = CommandLine.arguments.firstIndex(of: "--only"), let keys = Int(CommandLine.arguments[flag + 1]), let threads = Int(CommandLine.arguments[flag + 2]) {
    print("\(keys) keys, \(threads) threads: \(Int(measure(keys: keys, threads: threads, decisions: 20_000_000))) ns/decision")
    exit(0)
}

print("| distinct keys | 1 thread, ns/decision | 2 threads, ns/decision (each) |")
print("|---|---|---|")
for keys in [1, 10_000, 1_000_000] {
    let one = measure(keys: keys, threads: 1, decisions: 2_000_000)
    let two = measure(keys: keys, threads: 2, decisions: 2_000_000)
    print("| \(keys) | \(Int(one)) | \(Int(two)) |")
}

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
