@testable import RateLimit
import Testing

@Suite("Bucket table")
struct BucketTableTests {
    static func key(namespace: Int, _ key: String) -> BucketTable.Key {
        BucketTable.Key(hash: BucketHasher.process.hash(key, namespaceHash: namespace), namespace: namespace, key: key)
    }

    @Test func findsEveryKeyItHoldsAcrossGrowth() {
        var table = BucketTable()
        let keys = (0..<5_000).map { Self.key(namespace: 1, "10.0.\($0 / 256).\($0 % 256)") }
        for (index, key) in keys.enumerated() {
            #expect(table.slot(of: key) == nil)
            table.insert(key, TokenBucket(burst: Double(index), now: 0))
        }
        #expect(table.count == 5_000)
        for (index, key) in keys.enumerated() {
            let slot = table.slot(of: key)
            #expect(slot.map { table[$0].tokens } == Double(index))
        }
        #expect(table.slot(of: Self.key(namespace: 1, "10.9.9.9")) == nil)
        #expect(table.slot(of: Self.key(namespace: 2, "10.0.0.1")) == nil, "the same key under another namespace is another bucket")
    }

    @Test func keysWithTheSameHashStayApart() {
        // Colliding hashes share a probe chain; the namespace and key strings tell them apart.
        var table = BucketTable()
        let first = BucketTable.Key(hash: 42, namespace: 1, key: "x")
        let second = BucketTable.Key(hash: 42, namespace: 1, key: "y")
        let third = BucketTable.Key(hash: 42, namespace: 2, key: "x")
        table.insert(first, TokenBucket(burst: 1, now: 0))
        table.insert(second, TokenBucket(burst: 2, now: 0))
        table.insert(third, TokenBucket(burst: 3, now: 0))
        #expect(table.slot(of: first).map { table[$0].tokens } == 1)
        #expect(table.slot(of: second).map { table[$0].tokens } == 2)
        #expect(table.slot(of: third).map { table[$0].tokens } == 3)

        table.removeAll { $0.key.key == "y" }
        #expect(table.count == 2)
        #expect(table.slot(of: second) == nil)
        #expect(table.slot(of: third).map { table[$0].tokens } == 3, "removal keeps later entries of the chain reachable")
    }

    @Test func shardsLieAtLeast128BytesApart() {
        // Two cores locking neighbouring shards must not write the same cache line, nor the pair of lines the
        // adjacent-line prefetcher fetches together.
        #expect(MemoryLayout<BucketShards.Shard>.stride >= 128)
        let shards = BucketShards(count: 4)
        #expect(shards.count == 4)
        for index in 0..<4 { #expect(shards.withLock(index) { $0.count } == 0) }
    }

    @Test func prefetchesAimAtTheSlotsAfterTheTableGrows() {
        // A prefetch reads the shard's slot address without the lock; each unlock must publish the table's current
        // slots, or prefetches after a growth would load the freed ones.
        let shards = BucketShards(count: 2)
        let keys = (0..<1_000).map { Self.key(namespace: 1, "192.0.2.\($0)") }
        var capacities: Set<Int> = []
        for key in keys {
            let shard = key.hash & 1
            let expected = shards.withLock(shard) { table in
                if table.slot(of: key) == nil { table.insert(key, TokenBucket(burst: 1, now: 0)) }
                capacities.insert(table.capacity)
                return BucketTable.probeAddress(hash: key.hash, slotsAddress: table.slotsAddress, mask: table.mask)
            }
            #expect(shards.probeAddress(shard, hash: key.hash) == expected)
        }
        #expect(capacities.count > 3, "the tables grew several times")
    }

    @Test func updatesInPlace() {
        var table = BucketTable()
        let key = Self.key(namespace: 1, "k")
        table.insert(key, TokenBucket(burst: 5, now: 0))
        guard let slot = table.slot(of: key) else {
            Issue.record("the key was just inserted")
            return
        }
        var bucket = table[slot]
        let taken = bucket.take(2, at: 0, ratePerSecond: 1, burst: 5)
        #expect(taken)
        table[slot] = bucket
        #expect(table.slot(of: key).map { table[$0].tokens } == 3)
    }

    @Test func copiesAreIndependentValues() {
        // Tables share their slots until one is written, as arrays do; a write must not show in the other copy.
        var original = BucketTable()
        let key = Self.key(namespace: 1, "k")
        original.insert(key, TokenBucket(burst: 5, now: 0))
        var copy = original
        guard let slot = copy.slot(of: key) else {
            Issue.record("the copy lost the key")
            return
        }
        var bucket = copy[slot]
        _ = bucket.take(5, at: 0, ratePerSecond: 1, burst: 5)
        copy[slot] = bucket
        copy.insert(Self.key(namespace: 1, "other"), TokenBucket(burst: 1, now: 0))
        #expect(copy.slot(of: key).map { copy[$0].tokens } == 0)
        #expect(original.slot(of: key).map { original[$0].tokens } == 5)
        #expect(original.count == 1 && copy.count == 2)
        #expect(original.slot(of: Self.key(namespace: 1, "other")) == nil)
    }

    @Test func largeTablesStartOnAHugePage() {
        // 30,000 keys grow the table to 65,536 slots, over 2 MiB: it must be huge-page aligned (SlotStorage) and
        // still find every key, first and last.
        var table = BucketTable()
        let keys = (0..<30_000).map { Self.key(namespace: 1, "client-\($0)") }
        for (index, key) in keys.enumerated() { table.insert(key, TokenBucket(burst: Double(index), now: 0)) }
        #expect(table.capacity * MemoryLayout<BucketTable.Entry>.stride >= SlotStorage.hugePageBytes)
        #expect(table.isHugePageAligned)
        for index in [0, 1, 14_999, 29_999] {
            #expect(table.slot(of: keys[index]).map { table[$0].tokens } == Double(index))
        }
        table.removeAll { $0.bucket.tokens < 15_000 }
        #expect(table.count == 15_000)
        #expect(table.slot(of: keys[0]) == nil)
        #expect(table.slot(of: keys[29_999]).map { table[$0].tokens } == 29_999)
    }

    @Test func evictionForgetsExactlyTheOldestEighthWhenNothingIsFull() {
        let clock = ManualClock()
        let store = LocalBucketStore(maxKeys: 16, shardCount: 1, now: clock.now)
        let limiter = RateLimiter(policies: [
            RateLimitPolicy(name: "slow", limit: .tokenBucket(rate: Rate(count: 1, window: 3600), burst: 5, cost: 1)),
        ], buckets: store)
        for index in 0..<16 {
            _ = limiter.check(request("192.0.2.\(index)"))
            clock.advance(1)
        }
        #expect(store.count == 16)
        _ = limiter.check(request("198.51.100.1"))  // full: the two oldest go (16 / 8)
        #expect(store.count == 15)
        #expect(limiter.check(request("192.0.2.0")).verdicts.first?.remaining == 4, "the oldest was forgotten, so it starts full")
        #expect(limiter.check(request("192.0.2.2")).verdicts.first?.remaining == 3, "the third oldest was kept")
    }
}
