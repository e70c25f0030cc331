/// Finds a handful of literals in a value by two adjacent bytes of each, its anchor, sixteen places at a time,
/// ASCII case ignored as ``LiteralPrefilter`` ignores it; each place an anchor occurs is checked for its literals.
///
/// The prefilter's automaton takes about a nanosecond a byte whatever it looks for, because each step waits for
/// the one before. A collection no transform touches, whose conditions need only a few literals, is searched
/// this way instead: the raw body, which the default rules read only for a Java serialized object's four
/// signatures, is kilobytes long, and a pair of rare bytes (picked by ``commonness(_:)``) seldom occurs in it.
final class AnchorSearch: Sendable {
    /// A literal, folded as the prefilter folds it, with the offset of its anchor and its condition's bit.
    private struct Literal: Sendable {
        let bytes: [UInt8]
        let anchor: Int
        let bit: Int
    }

    /// The most literals searched this way; beyond it the anchors would occur too often to pay.
    static let maximumLiterals = Probes.count
    /// Room for one anchor per literal.
    private typealias Probes = InlineArray<8, Probe>

    /// An anchor as compared: a place matches when its byte and the next, each ORed with its mask, equal the
    /// anchor's. A letter's mask is 0x20, which makes its two cases one (no other byte ORs to a lower-case
    /// letter); a literal of one byte has a second byte that anything matches.
    private struct Probe: Sendable {
        let first: SIMD16<UInt8>
        let firstMask: SIMD16<UInt8>
        let second: SIMD16<UInt8>
        let secondMask: SIMD16<UInt8>

        init(_ first: UInt8, _ second: UInt8?) {
            let (firstMask, secondMask) = (Self.mask(first), second.map(Self.mask) ?? 0xFF)
            self.first = SIMD16(repeating: first | firstMask)
            self.firstMask = SIMD16(repeating: firstMask)
            self.second = SIMD16(repeating: (second ?? 0) | secondMask)
            self.secondMask = SIMD16(repeating: secondMask)
        }

        private static func mask(_ byte: UInt8) -> UInt8 {
            AhoCorasick.fold(byte) >= UInt8(ascii: "a") && AhoCorasick.fold(byte) <= UInt8(ascii: "z") ? 0x20 : 0
        }
    }

    private let literals: [Literal]
    /// The anchors, `probeCount` of them, padded with repeats of the first.
    private let probes: Probes
    private let probeCount: Int
    /// Per folded byte, the literals whose anchor starts with it (indices into `literals`), for the check after
    /// a probe hits.
    private let anchoredOn: [[Int]]

    /// A search for `literals` (folded; each with its condition's bit), or nil when there are none, too many, or
    /// an empty one.
    init?(_ literals: [(bytes: [UInt8], bit: Int)]) {
        guard !literals.isEmpty, literals.count <= Self.maximumLiterals, !literals.contains(where: \.bytes.isEmpty) else { return nil }
        var anchoredOn = [[Int]](repeating: [], count: 256)
        var anchors: [[UInt8]] = []
        var chosen: [Literal] = []
        for (bytes, bit) in literals {
            let anchor = Self.anchor(of: bytes)
            let pair = Array(bytes[anchor..<min(anchor + 2, bytes.count)])
            if !anchors.contains(pair) { anchors.append(pair) }
            anchoredOn[Int(bytes[anchor])].append(chosen.count)
            chosen.append(Literal(bytes: bytes, anchor: anchor, bit: bit))
        }
        let probes = anchors.map { Probe($0[0], $0.count > 1 ? $0[1] : nil) }
        self.literals = chosen
        self.probes = Probes { probes[$0 < probes.count ? $0 : 0] }
        self.probeCount = probes.count
        self.anchoredOn = anchoredOn
    }

    /// The offset in `bytes` of the pair of adjacent bytes that ordinary text holds least often (by the sum of
    /// their ``commonness(_:)``), or 0 for a single byte.
    static func anchor(of bytes: [UInt8]) -> Int {
        guard bytes.count > 1 else { return 0 }
        func pairCommonness(_ offset: Int) -> Int { Self.commonness(bytes[offset]) + Self.commonness(bytes[offset + 1]) }
        return (0..<(bytes.count - 1)).min { pairCommonness($0) < pairCommonness($1) } ?? 0
    }

    /// Sets the bits of the literals that occur in `value` in the bit set at `result` (a bit `b` is bit `b % 64`
    /// of word `b / 64`).
    func scan(_ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>) {
        guard let base = value.baseAddress else { return }
        let (probes, probeCount) = (self.probes, self.probeCount)
        var block = 0
        // Each place's next byte is read too, so a block needs seventeen bytes.
        while block &+ 17 <= value.count {
            let here = UnsafeRawPointer(base + block).loadUnaligned(as: SIMD16<UInt8>.self)
            let next = UnsafeRawPointer(base + (block &+ 1)).loadUnaligned(as: SIMD16<UInt8>.self)
            var hits = SIMDMask<SIMD16<Int8>>(repeating: false)
            for index in 0..<probeCount {
                let probe = probes[index]
                hits = hits .| ((here | probe.firstMask) .== probe.first .& ((next | probe.secondMask) .== probe.second))
            }
            // Read as two words, a hit byte all ones: `any` of a vector mask is a generic call per block.
            let (low, high) = unsafeBitCast(hits, to: (UInt64, UInt64).self)
            if low | high != 0 {
                var places = Self.bits(low) | Self.bits(high) << 8
                while places != 0 {
                    self.check(value, at: block &+ places.trailingZeroBitCount, into: result)
                    places &= places &- 1
                }
            }
            block &+= 16
        }
        for position in block..<value.count { self.check(value, at: position, into: result) }
    }

    /// One bit per byte of `word` (each 0 or 0xFF), lowest byte first.
    @inline(__always)
    private static func bits(_ word: UInt64) -> Int {
        Int(truncatingIfNeeded: ((word & 0x8040_2010_0804_0201) &* 0x0101_0101_0101_0101) >> 56)
    }

    /// Checks the literals whose anchor could start at `position` of `value`.
    private func check(_ value: UnsafeBufferPointer<UInt8>, at position: Int, into result: UnsafeMutablePointer<UInt64>) {
        for index in self.anchoredOn[Int(AhoCorasick.fold(value[position]))] {
            let literal = self.literals[index]
            let start = position - literal.anchor
            guard start >= 0, start + literal.bytes.count <= value.count else { continue }
            var matches = true
            for (offset, byte) in literal.bytes.enumerated() where AhoCorasick.fold(value[start + offset]) != byte {
                matches = false
                break
            }
            if matches { result[literal.bit / 64] |= 1 << UInt64(literal.bit % 64) }
        }
    }

    /// How often `byte` occurs in request bodies, roughly, as a rank (0 is the rarest): bytes in
    /// ``commonBytes`` rank by their place in it, letters counting both cases; every other byte is rare.
    static func commonness(_ byte: UInt8) -> Int {
        guard let place = Self.commonBytes.firstIndex(of: AhoCorasick.fold(byte)) else { return 0 }
        return Self.commonBytes.count - place
    }

    /// Bytes of JSON, form and text bodies, most common first: English letters by frequency, digits, and the
    /// punctuation of the formats.
    private static let commonBytes = Array(#" e"tao:insr,hld1c0u2m{}fp3g.5w4y9b678-_v=&/k%+xjq;z"#.utf8)
}
