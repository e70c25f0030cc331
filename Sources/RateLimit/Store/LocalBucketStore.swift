import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Token buckets in this process's memory, sharded by key so event loops on different cores rarely contend.
///
/// Memory is bounded: each shard holds at most `maxKeys / shardCount` buckets. Buckets that have refilled
/// completely are forgotten first, which changes nothing (a full bucket acts as a new one). When a shard is
/// still full, its least recently used eighth is forgotten, which only makes those clients' limits fresh.
public final class LocalBucketStore: Sendable {
    /// One bucket operation of a decision.
    public struct Take: Sendable {
        /// The bucket.
        public var bucket: BucketKey
        /// Refill rate, tokens per second.
        public var ratePerSecond: Double
        /// Capacity.
        public var burst: Double
        /// Tokens this request takes.
        public var cost: Double
        /// Whether a refusal here refuses the whole request (an enforced policy); a shadow policy's does not.
        public var blocking: Bool

        /// Creates an operation.
        public init(bucket: BucketKey, ratePerSecond: Double, burst: Double, cost: Double, blocking: Bool) {
            self.bucket = bucket
            self.ratePerSecond = ratePerSecond
            self.burst = burst
            self.cost = cost
            self.blocking = blocking
        }
    }

    /// What one bucket said.
    public struct Outcome: Sendable, Equatable {
        /// Creates an outcome (for stores other than this one).
        public init(allowed: Bool, remaining: Double, retryAfter: Double, resetAfter: Double) {
            self.allowed = allowed
            self.remaining = remaining
            self.retryAfter = retryAfter
            self.resetAfter = resetAfter
        }

        /// Whether it had the tokens.
        public var allowed: Bool
        /// Tokens left after the decision.
        public var remaining: Double
        /// Seconds until the request's cost is available again (0 when allowed).
        public var retryAfter: Double
        /// Seconds until the bucket is full again.
        public var resetAfter: Double
    }

    private final class Shard: @unchecked Sendable {  // safe: `buckets` is only touched while `lock` is held
        let lock = Mutex(())
        var buckets: [BucketKey: TokenBucket] = [:]
    }

    private let shards: [Shard]
    private let capacityPerShard: Int
    private let now: @Sendable () -> Double

    /// Creates a store.
    ///
    /// - Parameters:
    ///   - maxKeys: the most buckets held at once.
    ///   - shardCount: independent locks; more than the number of cores keeps contention rare.
    ///   - now: the clock in seconds, injectable so tests control time.
    public init(maxKeys: Int = 1_000_000, shardCount: Int = 64, now: @escaping @Sendable () -> Double = MonotonicClock.seconds) {
        precondition(maxKeys > 0 && shardCount > 0, "a store needs room for keys and at least one shard")
        self.shards = (0..<shardCount).map { _ in Shard() }
        self.capacityPerShard = max(1, maxKeys / shardCount)
        self.now = now
    }

    /// Decides `takes` as one: if every blocking take has its tokens, every take that can is taken; if one
    /// blocking take is refused, no tokens are taken anywhere. Each outcome says whether its own bucket had
    /// the tokens.
    ///
    /// The shards involved are locked together, in index order, so concurrent decisions on the same keys from
    /// different threads neither lose nor double-spend tokens.
    public func decide(_ takes: [Take]) -> [Outcome] {
        if takes.count == 1 { return [self.decide(takes[0])] }
        let now = self.now()
        let indices = takes.map { self.shardIndex(of: $0.bucket) }
        let ordered = Array(Set(indices)).sorted()
        return self.withLocks(ordered[...]) {
            var buckets: [TokenBucket] = []
            var hasTokens: [Bool] = []
            buckets.reserveCapacity(takes.count)
            hasTokens.reserveCapacity(takes.count)
            for (take, shard) in zip(takes, indices) {
                let bucket = self.shards[shard].buckets[take.bucket] ?? TokenBucket(burst: take.burst, now: now)
                buckets.append(bucket)
                hasTokens.append(bucket.has(take.cost, at: now, ratePerSecond: take.ratePerSecond, burst: take.burst))
            }
            let blocked = zip(takes, hasTokens).contains { $0.blocking && !$1 }
            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(takes.count)
            for (offset, take) in takes.enumerated() {
                var bucket = buckets[offset]
                if !blocked {
                    _ = bucket.take(take.cost, at: now, ratePerSecond: take.ratePerSecond, burst: take.burst)
                    self.store(bucket, for: take.bucket, in: self.shards[indices[offset]], now: now, take: take)
                }
                outcomes.append(Self.outcome(of: bucket, for: take, hasTokens: hasTokens[offset], now: now))
            }
            return outcomes
        }
    }

    /// Decides a single take: the common case of one policy, with one lock and no intermediate arrays.
    public func decide(_ take: Take) -> Outcome {
        let now = self.now()
        let shard = self.shards[self.shardIndex(of: take.bucket)]
        return shard.lock.withLock { _ in
            let index = shard.buckets.index(forKey: take.bucket)
            var bucket = index.map { shard.buckets.values[$0] } ?? TokenBucket(burst: take.burst, now: now)
            let hasTokens = bucket.has(take.cost, at: now, ratePerSecond: take.ratePerSecond, burst: take.burst)
            if hasTokens || !take.blocking {
                _ = bucket.take(take.cost, at: now, ratePerSecond: take.ratePerSecond, burst: take.burst)
                if let index {
                    shard.buckets.values[index] = bucket
                } else {
                    self.store(bucket, for: take.bucket, in: shard, now: now, take: take)
                }
            }
            return Self.outcome(of: bucket, for: take, hasTokens: hasTokens, now: now)
        }
    }

    private static func outcome(of bucket: TokenBucket, for take: Take, hasTokens: Bool, now: Double) -> Outcome {
        let remaining = bucket.available(at: now, ratePerSecond: take.ratePerSecond, burst: take.burst)
        return Outcome(
            allowed: hasTokens,
            remaining: remaining,
            retryAfter: hasTokens ? 0 : bucket.secondsUntil(take.cost, at: now, ratePerSecond: take.ratePerSecond, burst: take.burst),
            resetAfter: (take.burst - remaining) / take.ratePerSecond
        )
    }

    /// How many buckets are held.
    public var count: Int {
        self.shards.reduce(0) { total, shard in total + shard.lock.withLock { _ in shard.buckets.count } }
    }

    private func store(_ bucket: TokenBucket, for key: BucketKey, in shard: Shard, now: Double, take: Take) {
        if shard.buckets[key] == nil, shard.buckets.count >= self.capacityPerShard {
            self.evict(from: shard, now: now, take: take)
        }
        shard.buckets[key] = bucket
    }

    /// Forgets the full buckets of the take's own policy (the only rate and burst known here; another policy's
    /// bucket cannot be judged full by them); if that frees nothing, the least recently updated eighth.
    private func evict(from shard: Shard, now: Double, take: Take) {
        let before = shard.buckets.count
        let namespace = take.bucket.namespace
        shard.buckets = shard.buckets.filter {
            $0.key.namespace != namespace || !$0.value.isFull(at: now, ratePerSecond: take.ratePerSecond, burst: take.burst)
        }
        guard shard.buckets.count == before else { return }
        let victims = shard.buckets.sorted { $0.value.updated < $1.value.updated }.prefix(max(1, before / 8))
        for victim in victims { shard.buckets[victim.key] = nil }
    }

    private func shardIndex(of key: BucketKey) -> Int {
        Int(UInt(bitPattern: key.hash) % UInt(self.shards.count))
    }

    private func withLocks<Result>(_ indices: ArraySlice<Int>, _ body: () -> sending Result) -> sending Result {
        guard let first = indices.first else { return body() }
        return self.shards[first].lock.withLock { _ in self.withLocks(indices.dropFirst(), body) }
    }
}

/// Seconds on a monotonic clock, for stores and limiters.
public enum MonotonicClock {
    /// Seconds on CLOCK_MONOTONIC (read straight from the vDSO: a decision reads the clock every time).
    @Sendable public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
