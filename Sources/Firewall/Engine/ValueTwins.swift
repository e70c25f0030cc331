#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds, for each value of a request, an earlier value with the same bytes: its twin, whose prefilter rows
/// (and the decoding done to make them) it can share, since they depend on the bytes alone.
///
/// JSON arrays repeat their values (a status, a flag, a note on every item): reference.sh's 2 KB body holds the
/// same note thirty times, and each was decoded from base64 and scanned again, an eighth of that body's
/// evaluation. Hashing a value costs about one instruction a byte, where scanning it costs fifteen.
///
/// An open-addressing table of entry indices, with each slot's hash beside its index; grown, never shrunk, so
/// an evaluation started in a spent one's storage reuses it.
struct ValueTwins {
    /// `hash >> 32 << 32 | entry + 1` per slot, 0 when free: the hash's high half places the slot, so growing
    /// the table needs no value's bytes again.
    private var slots: [UInt64] = []
    private var count = 0

    /// Forgets every value, keeping the table's capacity.
    mutating func removeAll() {
        guard self.count > 0 else { return }
        self.slots.withUnsafeMutableBufferPointer { slots in
            for index in slots.indices { slots[index] = 0 }
        }
        self.count = 0
    }

    /// The earliest entry recorded with `value`'s bytes; else records `entry` for them and returns nil.
    /// `bytes(earlier)` gives a recorded entry's bytes, asked for only when its hash agrees with `value`'s.
    mutating func twin(of entry: Int, _ value: UnsafeBufferPointer<UInt8>, bytes: (Int) -> UnsafeBufferPointer<UInt8>) -> Int? {
        precondition(entry >= 0 && entry < Int(UInt32.max), "an entry index beyond 32 bits")
        if self.count &* 2 >= self.slots.count { self.grow() }
        let hash = Self.hash(value) & 0xFFFF_FFFF_0000_0000
        let mask = self.slots.count &- 1
        var index = Int(truncatingIfNeeded: hash &>> 32) & mask
        while true {
            let slot = self.slots[index]
            if slot == 0 {
                self.slots[index] = hash | UInt64(entry &+ 1)
                self.count &+= 1
                return nil
            }
            if slot & 0xFFFF_FFFF_0000_0000 == hash {
                let earlier = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                if Self.equal(bytes(earlier), value) { return earlier }
            }
            index = (index &+ 1) & mask
        }
    }

    /// Doubles the table (64 slots at first), placing each recorded entry again by its stored hash.
    private mutating func grow() {
        let old = self.slots
        let capacity = max(64, old.count &* 2)
        self.slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity &- 1
        for slot in old where slot != 0 {
            var index = Int(truncatingIfNeeded: slot &>> 32) & mask
            while self.slots[index] != 0 { index = (index &+ 1) & mask }
            self.slots[index] = slot
        }
    }

    private static func equal(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Bool {
        guard first.count == second.count else { return false }
        guard let a = first.baseAddress, let b = second.baseAddress else { return true }
        return memcmp(a, b, first.count) == 0
    }

    /// A 64-bit hash of `value`, eight bytes at a step.
    static func hash(_ value: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let multiplier: UInt64 = 0xFF51_AFD7_ED55_8CCD
        var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(value.count)
        guard let base = value.baseAddress else { return hash &* multiplier }
        var offset = 0
        while offset &+ 8 <= value.count {
            hash = (hash ^ UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)) &* multiplier
            hash ^= hash &>> 32
            offset &+= 8
        }
        // The last bytes in at most three loads (four, two and one bytes) rather than a step per byte.
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        if value.count &- offset >= 4 {
            tail = UInt64(UnsafeRawPointer(base + offset).loadUnaligned(as: UInt32.self))
            (shift, offset) = (32, offset &+ 4)
        }
        if value.count &- offset >= 2 {
            tail |= UInt64(UnsafeRawPointer(base + offset).loadUnaligned(as: UInt16.self)) &<< shift
            (shift, offset) = (shift &+ 16, offset &+ 2)
        }
        if offset < value.count { tail |= UInt64(base[offset]) &<< shift }
        hash = (hash ^ tail) &* multiplier
        return hash ^ (hash &>> 29)
    }
}
