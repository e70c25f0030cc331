/// The hash that places a bucket in the local store: SipHash-1-3 (the function behind Swift's `Hasher`), keyed
/// with a random seed drawn once per process and the policy's namespace.
///
/// Keys such as API keys are chosen by clients; a keyed hash keeps them from aiming at one probe chain. It is
/// written out here rather than taken from `Hasher` because a decision hashes one short key, and `Hasher`'s
/// general streaming interface cost three times the instructions of the whole function inlined.
struct BucketHasher: Sendable {
    let k0: UInt64
    let k1: UInt64

    /// The process's hasher.
    static let process: BucketHasher = {
        var generator = SystemRandomNumberGenerator()
        return BucketHasher(k0: generator.next(), k1: generator.next())
    }()

    /// The hash of `key` under a namespace (the namespace's `hashValue`, computed once per policy).
    @inline(__always)
    func hash(_ key: String, namespaceHash: Int) -> Int {
        let k0 = self.k0 ^ UInt64(bitPattern: Int64(namespaceHash))
        let hash = key.utf8.withContiguousStorageIfAvailable { bytes in
            Self.sipHash(UnsafeRawBufferPointer(bytes), k0: k0, k1: self.k1, compressionRounds: 1, finalizationRounds: 3)
        }
        guard let hash else {
            return Array(key.utf8).withUnsafeBytes { Self.sipHash($0, k0: k0, k1: self.k1, compressionRounds: 1, finalizationRounds: 3) }
        }
        return hash
    }

    /// SipHash with `compressionRounds` rounds per word and `finalizationRounds` at the end (SipHash-c-d, as
    /// specified by Aumasson and Bernstein); the rounds are constants at every call, so the loops unroll.
    @inline(__always)
    static func sipHash(_ bytes: UnsafeRawBufferPointer, k0: UInt64, k1: UInt64, compressionRounds: Int, finalizationRounds: Int) -> Int {
        var state = State(k0: k0, k1: k1)
        let words = bytes.count / 8
        for word in 0..<words {
            state.compress(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)), rounds: compressionRounds)
        }
        state.compress(UInt64(truncatingIfNeeded: bytes.count) << 56 | Self.tail(of: bytes), rounds: compressionRounds)
        state.v2 ^= 0xff
        for _ in 0..<finalizationRounds { state.round() }
        return Int(bitPattern: UInt(state.v0 ^ state.v1 ^ state.v2 ^ state.v3))
    }

    /// The bytes after the last whole word, little-endian, read with at most three loads instead of one per
    /// byte: loads that overlap the bytes already hashed are shifted off, and none reads outside `bytes`.
    @inline(__always)
    private static func tail(of bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        let tail = count & 7
        if tail == 0 { return 0 }
        if count >= 8 { return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> UInt64(64 - tail * 8) }
        if tail >= 4 {
            let low = UInt64(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: tail - 4, as: UInt32.self)))
            return low | high << UInt64((tail - 4) * 8)
        }
        // One to three bytes: the first, the middle and the last (some of them the same byte).
        return UInt64(bytes[0]) | UInt64(bytes[tail / 2]) << UInt64(tail / 2 * 8) | UInt64(bytes[tail - 1]) << UInt64((tail - 1) * 8)
    }

    private struct State {
        var v0: UInt64
        var v1: UInt64
        var v2: UInt64
        var v3: UInt64

        @inline(__always)
        init(k0: UInt64, k1: UInt64) {
            self.v0 = k0 ^ 0x736f_6d65_7073_6575
            self.v1 = k1 ^ 0x646f_7261_6e64_6f6d
            self.v2 = k0 ^ 0x6c79_6765_6e65_7261
            self.v3 = k1 ^ 0x7465_6462_7974_6573
        }

        @inline(__always)
        mutating func compress(_ word: UInt64, rounds: Int) {
            self.v3 ^= word
            for _ in 0..<rounds { self.round() }
            self.v0 ^= word
        }

        @inline(__always)
        mutating func round() {
            self.v0 &+= self.v1
            self.v1 = self.v1.rotatedLeft(13) ^ self.v0
            self.v0 = self.v0.rotatedLeft(32)
            self.v2 &+= self.v3
            self.v3 = self.v3.rotatedLeft(16) ^ self.v2
            self.v0 &+= self.v3
            self.v3 = self.v3.rotatedLeft(21) ^ self.v0
            self.v2 &+= self.v1
            self.v1 = self.v1.rotatedLeft(17) ^ self.v2
            self.v2 = self.v2.rotatedLeft(32)
        }
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(_ bits: UInt64) -> UInt64 { (self << bits) | (self >> (64 - bits)) }
}
