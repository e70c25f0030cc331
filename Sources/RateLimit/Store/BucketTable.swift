/// An open-addressing hash table of token buckets, one per store shard.
///
/// `Dictionary` would hash a key a second time and compare whole keys while probing. This table trusts
/// ``Key/hash`` (computed once by ``BucketHasher``, keyed per process, so an attacker choosing keys still cannot
/// aim at one probe chain), and compares namespaces and key strings only when a slot's stored hash matches.
struct BucketTable {
    /// What finds a bucket.
    struct Key {
        /// ``BucketHasher``'s hash of the key under its namespace.
        var hash: Int
        /// The policy namespace's number (``LocalBucketStore/namespaceID(_:)``): a whole number compares in one
        /// instruction, and copying it retains nothing.
        var namespace: Int
        /// The request's key.
        var key: String
    }

    /// One slot. Hash, key and bucket lie together, so a lookup touches one place in memory: with a million
    /// keys, each separate array would be another cache miss. An empty slot has hash 0.
    struct Entry {
        var key: Key
        var bucket: TokenBucket
    }

    /// Shared between copies of the table until one of them writes (copy on write, as an array would be).
    private var storage: SlotStorage
    /// One less than the number of slots (a power of two), so a slot number is a hash masked.
    private(set) var mask: Int
    /// Occupied slots.
    private(set) var count = 0

    /// A table with room for `capacity` slots, rounded up to a power of two.
    init(capacity: Int = 16) {
        var size = 16
        while size < capacity { size <<= 1 }
        self.init(slots: size)
    }

    private init(slots size: Int) {
        self.storage = SlotStorage(count: size, filledWith: Entry(key: Key(hash: 0, namespace: 0, key: ""), bucket: TokenBucket(burst: 0, now: 0)))
        self.mask = size - 1
    }

    /// A table with no slots: it stands in for a table lent out of its lock, and is never
    /// searched or filled.
    static var placeholder: BucketTable { BucketTable(slots: 0) }

    /// The slot hash of `key`: never 0, the empty marker.
    @inline(__always)
    private static func slotHash(_ key: borrowing Key) -> Int { key.hash | 1 }

    /// The slot a search for a key with ``Key/hash`` `hash` starts at, in a table of `mask + 1` slots.
    @inline(__always)
    static func firstSlot(hash: Int, mask: Int) -> Int {
        // The low bits pick the store's shard, so probing starts from bits above them.
        ((hash | 1) >> 16) & mask
    }

    /// The slot holding `key`, if any.
    @inline(__always)
    func slot(of key: borrowing Key) -> Int? {
        let hash = Self.slotHash(key)
        var index = Self.firstSlot(hash: hash, mask: self.mask)
        let slots = self.storage.slots
        while true {
            let stored = slots[index].key.hash
            if stored == 0 { return nil }
            if stored == hash, slots[index].key.namespace == key.namespace, slots[index].key.key == key.key { return index }
            index = (index + 1) & self.mask
        }
    }

    /// The bucket in `slot` (from ``slot(of:)``).
    subscript(slot: Int) -> TokenBucket {
        get { self.storage.slots[slot].bucket }
        set {
            self.makeUnique()
            self.storage.slots[slot].bucket = newValue
        }
    }

    /// The number of slots.
    var capacity: Int { self.storage.slots.count }

    /// Where a search for `hash` starts reading in a table whose slots lie at `slotsAddress` and whose mask is
    /// `mask`. The two may have been read without the shard's lock and be stale: the address is only for a
    /// prefetch, which never faults.
    @inline(__always)
    static func probeAddress(hash: Int, slotsAddress: Int, mask: Int) -> Int {
        slotsAddress &+ Self.firstSlot(hash: hash, mask: mask) &* MemoryLayout<Entry>.stride
    }

    /// The slots' address, for ``probeAddress(hash:slotsAddress:mask:)``.
    var slotsAddress: Int { Int(bitPattern: self.storage.slots.baseAddress) }

    /// Whether the slots start on a huge-page boundary (for tests: every table of a huge page or more does).
    var isHugePageAligned: Bool {
        self.slotsAddress % SlotStorage.hugePageBytes == 0
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&self.storage) { self.storage = self.storage.copy() }
    }

    /// Adds a bucket for a key that is not in the table.
    mutating func insert(_ key: Key, _ bucket: TokenBucket) {
        // A load factor of at most 3/4 keeps probe chains short.
        if (self.count + 1) * 4 > self.capacity * 3 { self.rehash(capacity: self.capacity * 2) }
        self.makeUnique()
        var key = key
        key.hash = Self.slotHash(key)
        let slots = self.storage.slots
        var index = Self.firstSlot(hash: key.hash, mask: self.mask)
        while slots[index].key.hash != 0 { index = (index + 1) & self.mask }
        slots[index] = Entry(key: key, bucket: bucket)
        self.count += 1
    }

    /// Forgets every entry `shouldRemove` picks, by rebuilding the table from the rest: removal happens only
    /// when a shard is full, so it may cost a pass over it.
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        var table = BucketTable(capacity: self.capacity)
        self.storage.forEachOccupied { entry in
            if !shouldRemove(entry) { table.insert(entry.key, entry.bucket) }
        }
        self = table
    }

    /// Every entry, in no particular order. An entry's hash is the slot hash (its low bit set), which
    /// ``insert(_:_:)`` maps to the same slot hash again.
    var allEntries: [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(self.count)
        self.storage.forEachOccupied { entries.append($0) }
        return entries
    }

    private mutating func rehash(capacity: Int) {
        var table = BucketTable(capacity: capacity)
        self.storage.forEachOccupied { table.insert($0.key, $0.bucket) }
        self = table
    }
}
