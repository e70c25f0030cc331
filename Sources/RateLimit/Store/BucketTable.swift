/// An open-addressing hash table of token buckets, one per store shard.
///
/// `Dictionary` hashes a key twice per lookup here (the key's own hash, then the dictionary's seeded hash of
/// it), and its probing compares whole keys. This table trusts ``BucketKey/hash``, already computed once with
/// the process's seeded `Hasher` (so an attacker choosing keys still cannot aim at one probe chain), and compares
/// key strings only when a slot's stored hash matches.
struct BucketTable {
    /// One occupied slot.
    struct Entry {
        var key: BucketKey
        var bucket: TokenBucket
    }

    /// One slot, kept together so a lookup touches one place in memory: with a million keys, each separate
    /// array would be another cache miss. An empty slot has hash 0 and empty strings.
    private struct Slot {
        var hash: Int
        var namespace: String
        var key: String
        var bucket: TokenBucket
    }

    private var slots: [Slot]
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
        self.slots = Array(repeating: Slot(hash: 0, namespace: "", key: "", bucket: TokenBucket(burst: 0, now: 0)), count: size)
        self.mask = size - 1
    }

    /// A table with no slots, allocating nothing: it stands in for a table lent out of its lock, and is never
    /// searched or filled.
    static var placeholder: BucketTable { BucketTable(slots: 0) }

    /// The slot hash of `key`: never 0, the empty marker.
    @inline(__always)
    private static func slotHash(_ key: BucketKey) -> Int { key.hash | 1 }

    /// The slot holding `key`, if any.
    @inline(__always)
    func slot(of key: BucketKey) -> Int? {
        let hash = Self.slotHash(key)
        // The low bits pick the store's shard, so probing starts from bits above them.
        var index = (hash >> 16) & self.mask
        while true {
            let stored = self.slots[index].hash
            if stored == 0 { return nil }
            if stored == hash, self.slots[index].key == key.key, self.slots[index].namespace == key.namespace { return index }
            index = (index + 1) & self.mask
        }
    }

    /// The bucket in `slot` (from ``slot(of:)``).
    subscript(slot: Int) -> TokenBucket {
        get { self.slots[slot].bucket }
        set { self.slots[slot].bucket = newValue }
    }

    /// Adds a bucket for a key that is not in the table.
    mutating func insert(_ key: BucketKey, _ bucket: TokenBucket) {
        // A load factor of at most 3/4 keeps probe chains short.
        if (self.count + 1) * 4 > self.slots.count * 3 { self.rehash(capacity: self.slots.count * 2) }
        let hash = Self.slotHash(key)
        var index = (hash >> 16) & self.mask
        while self.slots[index].hash != 0 { index = (index + 1) & self.mask }
        self.slots[index] = Slot(hash: hash, namespace: key.namespace, key: key.key, bucket: bucket)
        self.count += 1
    }

    /// Forgets every entry `shouldRemove` picks, by rebuilding the table from the rest: removal happens only
    /// when a shard is full, so it may cost a pass over it.
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        var table = BucketTable(capacity: self.slots.count)
        for entry in self.allEntries where !shouldRemove(entry) { table.insert(entry.key, entry.bucket) }
        self = table
    }

    /// Every entry, in no particular order. An entry's key carries the slot hash (its low bit set), which
    /// ``insert(_:_:)`` maps to the same slot hash again; it is for eviction and rebuilding, not for comparing
    /// with the caller's keys.
    var allEntries: some Sequence<Entry> {
        self.slots.lazy.filter { $0.hash != 0 }.map { slot in
            Entry(key: BucketKey(namespace: slot.namespace, key: slot.key, hash: slot.hash), bucket: slot.bucket)
        }
    }

    private mutating func rehash(capacity: Int) {
        var table = BucketTable(capacity: capacity)
        for entry in self.allEntries { table.insert(entry.key, entry.bucket) }
        self = table
    }
}
