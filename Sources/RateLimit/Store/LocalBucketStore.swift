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

        /// The number of the bucket's namespace (``LocalBucketStore/namespaceID(_:)``).
        let namespaceID: Int

        /// Creates an operation. Each distinct namespace is given a number for the process's lifetime (see
        /// ``LocalBucketStore/namespaceID(_:)``), so namespaces should name policies, not clients.
        public init(bucket: BucketKey, ratePerSecond: Double, burst: Double, cost: Double, blocking: Bool) {
            self.init(
                bucket: bucket, namespaceID: LocalBucketStore.namespaceID(bucket.namespace), ratePerSecond: ratePerSecond, burst: burst,
                cost: cost, blocking: blocking
            )
        }

        /// Creates an operation whose namespace number is known (a limiter looks each policy's up once).
        init(bucket: BucketKey, namespaceID: Int, ratePerSecond: Double, burst: Double, cost: Double, blocking: Bool) {
            self.bucket = bucket
            self.namespaceID = namespaceID
            self.ratePerSecond = ratePerSecond
            self.burst = burst
            self.cost = cost
            self.blocking = blocking
        }

        /// The key the local tables file the bucket under.
        var tableKey: BucketTable.Key { BucketTable.Key(hash: self.bucket.hash, namespace: self.namespaceID, key: self.bucket.key) }
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

    private let shards: BucketShards
    private let capacityPerShard: Int
    private let now: @Sendable () -> Double

    /// Creates a store.
    ///
    /// - Parameters:
    ///   - maxKeys: the most buckets held at once.
    ///   - shardCount: independent locks; more than the number of cores keeps contention rare (a lock is held for
    ///     one bucket update). Rounded up to a power of two, so a key's shard is a mask of its hash rather than a
    ///     division. Few shards make large tables: at a million keys, 16 shards hold 6 MB tables, which
    ///     ``SlotStorage`` puts on huge pages, where 64 would hold 1.5 MB tables, each smaller than one.
    ///   - now: the clock in seconds, injectable so tests control time. The default is the kernel's coarse
    ///     monotonic clock: a third of the precise clock's cost, and its few milliseconds of resolution only
    ///     delay a refill by that much (nginx's `limit_req` reads a time cached once per event-loop turn).
    public init(maxKeys: Int = 1_000_000, shardCount: Int = 16, now: @escaping @Sendable () -> Double = MonotonicClock.coarseSeconds) {
        precondition(maxKeys > 0 && shardCount > 0, "a store needs room for keys and at least one shard")
        var shards = 1
        while shards < shardCount { shards <<= 1 }
        self.shards = BucketShards(count: shards)
        self.capacityPerShard = max(1, maxKeys / shards)
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
        let indices = takes.map { self.shardIndex(of: $0.bucket.hash) }
        let ordered = Array(Set(indices)).sorted()
        return self.withLocks(ordered[...]) { tables in
            var buckets: [TokenBucket] = []
            var hasTokens: [Bool] = []
            buckets.reserveCapacity(takes.count)
            hasTokens.reserveCapacity(takes.count)
            for (take, shard) in zip(takes, indices) {
                let table = tables[shard, default: BucketTable()]
                let bucket = table.slot(of: take.tableKey).map { table[$0] } ?? TokenBucket(burst: take.burst, now: now)
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
                    self.store(
                        bucket, for: take.tableKey, in: &tables[indices[offset], default: BucketTable()], now: now,
                        ratePerSecond: take.ratePerSecond, burst: take.burst
                    )
                }
                outcomes.append(Self.outcome(
                    of: bucket, hasTokens: hasTokens[offset], now: now, ratePerSecond: take.ratePerSecond, burst: take.burst, cost: take.cost
                ))
            }
            return outcomes
        }
    }

    /// Decides a single take: the common case of one policy, with one lock and no intermediate arrays.
    public func decide(_ take: Take) -> Outcome {
        self.decide(take.tableKey, ratePerSecond: take.ratePerSecond, burst: take.burst, cost: take.cost, blocking: take.blocking)
    }

    /// Decides a single take given as its parts, so a limiter builds no ``Take`` (and copies no namespace string)
    /// for the one policy that applies.
    @inline(__always)
    func decide(_ key: borrowing BucketTable.Key, ratePerSecond: Double, burst: Double, cost: Double, blocking: Bool) -> Outcome {
        let now = self.now()
        return self.shards.withLock(self.shardIndex(of: key.hash)) { table in
            let slot = table.slot(of: key)
            var bucket = slot.map { table[$0] } ?? TokenBucket(burst: burst, now: now)
            let hasTokens = bucket.has(cost, at: now, ratePerSecond: ratePerSecond, burst: burst)
            if hasTokens || !blocking {
                _ = bucket.take(cost, at: now, ratePerSecond: ratePerSecond, burst: burst)
                if let slot {
                    table[slot] = bucket
                } else {
                    self.store(bucket, for: copy key, in: &table, now: now, ratePerSecond: ratePerSecond, burst: burst)
                }
            }
            return Self.outcome(of: bucket, hasTokens: hasTokens, now: now, ratePerSecond: ratePerSecond, burst: burst, cost: cost)
        }
    }

    /// Starts loading the slot where `key`'s bucket would be, without locking, so that the wait for memory
    /// overlaps other work: a prepared request's (``RateLimiter/prepare(_:)``), or a batch's other decisions.
    @inline(__always)
    func prefetch(_ key: borrowing BucketTable.Key) {
        self.shards.prefetch(self.shardIndex(of: key.hash), hash: key.hash)
    }

    @inline(__always)
    private static func outcome(of bucket: TokenBucket, hasTokens: Bool, now: Double, ratePerSecond: Double, burst: Double, cost: Double) -> Outcome {
        let remaining = bucket.available(at: now, ratePerSecond: ratePerSecond, burst: burst)
        return Outcome(
            allowed: hasTokens,
            remaining: remaining,
            retryAfter: hasTokens ? 0 : bucket.secondsUntil(cost, at: now, ratePerSecond: ratePerSecond, burst: burst),
            resetAfter: (burst - remaining) / ratePerSecond
        )
    }

    /// The number standing for `namespace` in the local tables, the same in every store of the process (a plan
    /// made against one store may be decided by another). Numbers are never reused; there is one per distinct
    /// policy definition the process has seen, which reloads grow only by the policies they change.
    static func namespaceID(_ namespace: String) -> Int {
        Self.namespaceIDs.withLock { ids in
            if let id = ids[namespace] { return id }
            let id = ids.count + 1
            ids[namespace] = id
            return id
        }
    }

    private static let namespaceIDs = Mutex<[String: Int]>([:])

    /// How many buckets are held.
    public var count: Int {
        (0..<self.shards.count).reduce(0) { total, index in total + self.shards.withLock(index) { $0.count } }
    }

    private func store(_ bucket: TokenBucket, for key: BucketTable.Key, in table: inout BucketTable, now: Double, ratePerSecond: Double, burst: Double) {
        if let slot = table.slot(of: key) {
            table[slot] = bucket
            return
        }
        if table.count >= self.capacityPerShard {
            Self.evict(from: &table, now: now, namespace: key.namespace, ratePerSecond: ratePerSecond, burst: burst)
        }
        table.insert(key, bucket)
    }

    /// Forgets the full buckets of the key's own policy (the only rate and burst known here; another policy's
    /// bucket cannot be judged full by them); if that frees nothing, the least recently updated eighth.
    private static func evict(from table: inout BucketTable, now: Double, namespace: Int, ratePerSecond: Double, burst: Double) {
        let before = table.count
        table.removeAll {
            $0.key.namespace == namespace && $0.bucket.isFull(at: now, ratePerSecond: ratePerSecond, burst: burst)
        }
        guard table.count == before else { return }
        let times = table.allEntries.map(\.bucket.updated).sorted()
        let victims = max(1, before / 8)
        let cutoff = times[min(victims, times.count) - 1]
        // Exactly `victims` go: all older than the cutoff, then as many as are left of those updated at it.
        var tiesLeft = victims - times.prefix { $0 < cutoff }.count
        table.removeAll { entry in
            if entry.bucket.updated < cutoff { return true }
            guard entry.bucket.updated == cutoff, tiesLeft > 0 else { return false }
            tiesLeft -= 1
            return true
        }
    }

    @inline(__always)
    private func shardIndex(of hash: Int) -> Int {
        hash & (self.shards.count - 1)
    }

    /// Runs `body` with the tables of the shards at `indices` (ascending) locked, lent by index; on return
    /// their changes are written back.
    private func withLocks<Result>(
        _ indices: ArraySlice<Int>, _ body: (inout [Int: BucketTable]) -> sending Result
    ) -> sending Result {
        var lent: [Int: BucketTable] = [:]
        return self.withLocks(indices, lent: &lent, body)
    }

    private func withLocks<Result>(
        _ indices: ArraySlice<Int>, lent: inout [Int: BucketTable], _ body: (inout [Int: BucketTable]) -> sending Result
    ) -> sending Result {
        guard let first = indices.first else { return body(&lent) }
        return self.shards.withLock(first) { table in
            var borrowed = BucketTable.placeholder
            swap(&borrowed, &table)
            lent[first] = borrowed
            defer { table = lent.removeValue(forKey: first) ?? BucketTable() }
            return self.withLocks(indices.dropFirst(), lent: &lent, body)
        }
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

    /// Seconds on CLOCK_MONOTONIC_COARSE: the time of the last scheduler tick (a few milliseconds' resolution),
    /// read without touching the time-stamp counter.
    @Sendable public static func coarseSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
