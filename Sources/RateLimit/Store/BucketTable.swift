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

    private var slots: [Entry]
    private var mask: Int
    /// Occupied slots.
    private(set) var count = 0

    /// A table with room for `capacity` slots, rounded up to a power of two.
    init(capacity: Int = 16) {
        var size = 16
        while size < capacity { size <<= 1 }
        self.init(slots: size)
    }

    private init(slots size: Int) {
        self.slots = Array(repeating: Entry(key: Key(hash: 0, namespace: 0, key: ""), bucket: TokenBucket(burst: 0, now: 0)), count: size)
        self.mask = size - 1
    }

    /// A table with no slots, allocating nothing: it stands in for a table lent out of its lock, and is never
    /// searched or filled.
    static var placeholder: BucketTable { BucketTable(slots: 0) }

    /// The slot hash of `key`: never 0, the empty marker.
    @inline(__always)
    private static func slotHash(_ key: borrowing Key) -> Int { key.hash | 1 }

    /// The slot holding `key`, if any.
    @inline(__always)
    func slot(of key: borrowing Key) -> Int? {
        let hash = Self.slotHash(key)
        // The low bits pick the store's shard, so probing starts from bits above them.
        var index = (hash >> 16) & self.mask
        return self.slots.withUnsafeBufferPointer { slots in
            while true {
                let stored = slots[index].key.hash
                if stored == 0 { return nil }
                if stored == hash, slots[index].key.namespace == key.namespace, slots[index].key.key == key.key { return index }
                index = (index + 1) & self.mask
            }
        }
    }

    /// The bucket in `slot` (from ``slot(of:)``).
    subscript(slot: Int) -> TokenBucket {
        get { self.slots[slot].bucket }
        set { self.slots[slot].bucket = newValue }
    }

    /// Adds a bucket for a key that is not in the table.
    mutating func insert(_ key: Key, _ bucket: TokenBucket) {
        // A load factor of at most 3/4 keeps probe chains short.
        if (self.count + 1) * 4 > self.slots.count * 3 { self.rehash(capacity: self.slots.count * 2) }
        var key = key
        key.hash = Self.slotHash(key)
        var index = (key.hash >> 16) & self.mask
        while self.slots[index].key.hash != 0 { index = (index + 1) & self.mask }
        self.slots[index] = Entry(key: key, bucket: bucket)
        self.count += 1
    }

    /// Forgets every entry `shouldRemove` picks, by rebuilding the table from the rest: removal happens only
    /// when a shard is full, so it may cost a pass over it.
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        var table = BucketTable(capacity: self.slots.count)
        for entry in self.allEntries where !shouldRemove(entry) { table.insert(entry.key, entry.bucket) }
        self = table
    }

    /// Every entry, in no particular order. An entry's hash is the slot hash (its low bit set), which
    /// ``insert(_:_:)`` maps to the same slot hash again.
    var allEntries: some Sequence<Entry> {
        self.slots.lazy.filter { $0.key.hash != 0 }
    }

    private mutating func rehash(capacity: Int) {
        var table = BucketTable(capacity: capacity)
        for entry in self.allEntries { table.insert(entry.key, entry.bucket) }
        self = table
    }
}
