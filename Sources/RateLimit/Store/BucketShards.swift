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
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

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
        self.elements[index].table.withLock(body)
    }

    deinit {
        self.elements.deinitialize(count: self.count)
        self.elements.deallocate()
    }
}
