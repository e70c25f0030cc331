/// Finds a handful of literals in a value by one byte of each, its anchor, sixteen bytes at a time, ASCII case
/// ignored as ``LiteralPrefilter`` ignores it; each place an anchor occurs is checked for its literals.
///
/// The prefilter's automaton takes about a nanosecond a byte whatever it looks for, because each step waits for
/// the one before. A collection no transform touches, whose conditions need only a few literals, is searched
/// this way instead: the raw body, which the default rules read only for a Java serialized object's four
/// signatures, is kilobytes long, and its anchors (rare bytes, picked by ``commonness``) seldom occur in it.
final class AnchorSearch: Sendable {
    /// A literal, folded as the prefilter folds it, with the offset of its anchor and its condition's bit.
    private struct Literal: Sendable {
        let bytes: [UInt8]
        let anchor: Int
        let bit: Int
    }

    /// The most literals searched this way; beyond it the anchors would occur too often to pay.
    static let maximumLiterals = 8
    /// The most bytes compared per block of sixteen: each anchor byte, in both cases for a letter.
    static let maximumProbes = Probes.count
    private typealias Probes = InlineArray<8, SIMD16<UInt8>>

    private let literals: [Literal]
    /// The bytes compared against each block, padded with repeats of the first to ``maximumProbes``, each
    /// repeated across a vector.
    private let probes: Probes
    /// The same bytes, for the tail shorter than a block.
    private let probeBytes: [UInt8]
    /// Per folded byte, the literals anchored on it (indices into `literals`), for the check after a probe hits.
    private let anchoredOn: [[Int]]
    /// 64-bit words per result, as the prefilter's.
    let words: Int

    /// A search for `literals` (folded; each with its condition's bit), or nil when there are none, too many,
    /// an empty one, or their anchors take more than ``maximumProbes`` bytes.
    init?(_ literals: [(bytes: [UInt8], bit: Int)], words: Int) {
        guard !literals.isEmpty, literals.count <= Self.maximumLiterals, !literals.contains(where: \.bytes.isEmpty) else { return nil }
        var anchoredOn = [[Int]](repeating: [], count: 256)
        var probes: [UInt8] = []
        var chosen: [Literal] = []
        for (bytes, bit) in literals {
            let anchor = bytes.indices.min { Self.commonness(bytes[$0]) < Self.commonness(bytes[$1]) } ?? 0
            let byte = bytes[anchor]
            for probe in Self.cases(of: byte) where !probes.contains(probe) { probes.append(probe) }
            anchoredOn[Int(byte)].append(chosen.count)
            chosen.append(Literal(bytes: bytes, anchor: anchor, bit: bit))
        }
        guard probes.count <= Self.maximumProbes else { return nil }
        self.literals = chosen
        let padded = probes + repeatElement(probes[0], count: Self.maximumProbes - probes.count)
        self.probes = InlineArray { SIMD16(repeating: padded[$0]) }
        self.probeBytes = probes
        self.anchoredOn = anchoredOn
        self.words = words
    }

    /// Sets, in the `words` words at `result`, the bits of the literals that occur in `value`.
    func scan(_ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>) {
        guard let base = value.baseAddress else { return }
        let probes = self.probes
        var block = 0
        while block &+ 16 <= value.count {
            let bytes = UnsafeRawPointer(base + block).loadUnaligned(as: SIMD16<UInt8>.self)
            var hits = bytes .== probes[0]
            for probe in 1..<Self.maximumProbes { hits = hits .| (bytes .== probes[probe]) }
            // Tested as two words, each hit byte all ones: `any` of a vector mask is a generic call per block.
            let (low, high) = unsafeBitCast(hits, to: (UInt64, UInt64).self)
            if low | high != 0 {
                for offset in 0..<16 where hits[offset] { self.check(value, at: block &+ offset, into: result) }
            }
            block &+= 16
        }
        for position in block..<value.count where self.probeBytes.contains(value[position]) { self.check(value, at: position, into: result) }
    }

    /// Checks the literals anchored on the byte at `position` of `value`.
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

    /// The byte and, for a letter, its other case: a folded literal matches either.
    private static func cases(of byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): [byte, byte - 32]
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): [byte, byte + 32]
        default: [byte]
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
