import CMemoryHint
import Synchronization

/// The local store's shards, each a ``BucketTable`` inside its own lock, in one allocation.
///
/// An array of shard objects made every decision retain and release the shard it locked: two atomic operations
/// on a counter that the other cores' decisions on the same shard also write. Here a decision borrows its
/// shard in place. Shards lie 128 bytes apart, so two cores locking neighbouring shards never write the same
/// cache line (nor the pair of lines the adjacent-line prefetcher fetches together).
///
/// `@unchecked Sendable` is safe: `elements` and `count` are set in `init` and never change; every shard's
/// mutable state is its table, reached only through its `Mutex`; the shards are deinitialized only in `deinit`,
/// when no other reference exists.
final class BucketShards: @unchecked Sendable {  // safe: immutable pointer and count, shards behind Mutex, see above
    /// One shard: a table and its lock, padded to 128 bytes.
    struct Shard: ~Copyable {
        let table: Mutex<BucketTable>
        /// The table's slot address and mask as of the last unlock, for prefetches made without the lock
        /// (``BucketShards/prefetch(_:hash:)``). Relaxed: a stale or torn pair only makes a prefetch useless.
        let slotsAddress = Atomic<Int>(0)
        let mask = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        init() { self.table = Mutex(BucketTable()) }
    }

    private let elements: UnsafeMutablePointer<Shard>
    /// The number of shards.
    let count: Int

    /// `count` empty shards; the count must be a power of two (a key's shard is a mask of its hash).
    init(count: Int) {
        precondition(count > 0 && count & (count - 1) == 0, "the shard count must be a power of two")
        self.count = count
        self.elements = .allocate(capacity: count)
        for index in 0..<count { (self.elements + index).initialize(to: Shard()) }
    }

    /// Runs `body` with shard `index`'s table locked.
    @inline(__always)
    func withLock<Result>(_ index: Int, _ body: (inout BucketTable) -> sending Result) -> sending Result {
        self.elements[index].table.withLock { table in
            let result = body(&table)
            // The table may have grown or been rebuilt; later prefetches should aim at its current slots.
            self.elements[index].slotsAddress.store(table.slotsAddress, ordering: .relaxed)
            self.elements[index].mask.store(table.mask, ordering: .relaxed)
            return result
        }
    }

    /// Starts loading the slot where shard `index` would begin its search for `hash`, without taking the lock, so
    /// that several decisions' memory reads overlap (``LocalBucketStore/prefetch(_:)``).
    @inline(__always)
    func prefetch(_ index: Int, hash: Int) {
        guard let slot = self.probeAddress(index, hash: hash) else { return }
        // A slot may straddle two cache lines; its last byte names the second.
        rampart_prefetch_for_write(UnsafeRawPointer(bitPattern: slot))
        rampart_prefetch_for_write(UnsafeRawPointer(bitPattern: slot &+ MemoryLayout<BucketTable.Entry>.stride &- 1))
    }

    /// Where shard `index`'s search for `hash` starts, as of the shard's last unlock; nil before its first.
    @inline(__always)
    func probeAddress(_ index: Int, hash: Int) -> Int? {
        let address = self.elements[index].slotsAddress.load(ordering: .relaxed)
        let mask = self.elements[index].mask.load(ordering: .relaxed)
        guard address != 0, mask >= 0 else { return nil }
        return BucketTable.probeAddress(hash: hash, slotsAddress: address, mask: mask)
    }

    deinit {
        self.elements.deinitialize(count: self.count)
        self.elements.deallocate()
    }
}
