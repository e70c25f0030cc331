@testable import Firewall
import Testing

@Suite("Anchor search")
struct AnchorSearchTests {
    /// The bits a search sets in `value` (one result word).
    private static func bits(_ search: AnchorSearch, _ value: [UInt8]) -> UInt64 {
        var result: UInt64 = 0
        value.withUnsafeBufferPointer { value in search.scan(value, into: &result) }
        return result
    }

    /// The bits the prefilter's automaton sets for the same literals: what the search stands in for.
    private static func automatonBits(_ prefilter: LiteralPrefilter, _ value: [UInt8]) -> UInt64 {
        var result: [UInt64] = [0]
        prefilter.scanWithoutClasses(value[...], into: &result, offset: 0)
        return result[0]
    }

    /// The default rules' raw-body literals (rule 160120's), two more conditions' and a one-byte one: literals
    /// planted whole, cut short or upper-cased, at any offset of values from empty to 300 bytes (so across each
    /// block of sixteen and in the tail after the last), set exactly the bits the automaton sets.
    @Test func findsWhatTheAutomatonFinds() throws {
        let literals: [(bytes: [UInt8], bit: Int)] = [
            (Array("h4siaaaaaaaa".utf8), 0), (Array("ro0ab".utf8), 0), ([0xAC, 0xED, 0x00, 0x05], 0), (Array("%ac%ed%00%05".utf8), 0),
            (Array("<script".utf8), 1), (Array("{{".utf8), 2), (Array("`".utf8), 3),
        ]
        let search = try #require(AnchorSearch(literals))
        var sets = [Set<[UInt8]>](repeating: [], count: 4)
        for (bytes, bit) in literals { sets[bit].insert(bytes) }
        let prefilter = LiteralPrefilter(sets)
        var generator = SystemRandomNumberGenerator()
        let filler = Array(#"abcdefghijklmnopqrstuvwxyz0123456789 ":,{}[]%<-"#.utf8) + [0xAC, 0x00]
        var found: UInt64 = 0
        for _ in 0..<3_000 {
            var value = (0..<Int.random(in: 0...300, using: &generator)).map { _ in filler.randomElement(using: &generator) ?? 0 }
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                guard let literal = literals.randomElement(using: &generator)?.bytes else { continue }
                var piece = literal
                if Bool.random(using: &generator) { piece = piece.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 } }
                if piece.count > 1, Int.random(in: 0..<4, using: &generator) == 0 { piece.removeLast() }
                value.insert(contentsOf: piece, at: Int.random(in: 0...value.count, using: &generator))
            }
            let bits = Self.bits(search, value)
            #expect(bits == Self.automatonBits(prefilter, value), "value \(value)")
            found |= bits
        }
        #expect(found == 0b1111, "every literal was found somewhere")
    }

    /// Each literal, of one byte or more, is found at every offset of a value of 40 bytes, which has two blocks
    /// and a tail.
    @Test func findsALiteralAtEveryOffset() throws {
        let literals: [(bytes: [UInt8], bit: Int)] = [(Array("rO0AB".utf8.map(AhoCorasick.fold)), 0), (Array("%ac%ed%00%05".utf8), 1), (Array("`".utf8), 2)]
        let search = try #require(AnchorSearch(literals))
        for (bytes, bit) in literals {
            for start in 0...(40 - bytes.count) {
                var value = [UInt8](repeating: UInt8(ascii: "x"), count: 40)
                value.replaceSubrange(start..<(start + bytes.count), with: bytes)
                #expect(Self.bits(search, value) == 1 << UInt64(bit), "literal \(bytes) at \(start)")
            }
        }
    }

    /// Bits past the first word land in their own word.
    @Test func setsBitsInLaterWords() throws {
        let search = try #require(AnchorSearch([(Array("rO0AB".utf8.map(AhoCorasick.fold)), 130)]))
        var result: [UInt64] = [0, 0, 0]
        Array("...rO0AB...".utf8).withUnsafeBufferPointer { value in
            result.withUnsafeMutableBufferPointer { result in search.scan(value, into: result.baseAddress.unsafelyUnwrapped) }
        }
        #expect(result == [0, 0, 1 << 2])
    }

    /// Each literal is anchored on the pair of adjacent bytes text holds least often; a set larger than eight
    /// literals, or with an empty one, is left to the automaton.
    @Test func anchorsOnRareBytesAndDeclinesLargeSets() {
        #expect(AnchorSearch.commonness(UInt8(ascii: "b")) < AnchorSearch.commonness(UInt8(ascii: "r")))
        #expect(AnchorSearch.commonness(UInt8(ascii: "B")) == AnchorSearch.commonness(UInt8(ascii: "b")))
        #expect(AnchorSearch.commonness(0xAC) == 0)
        // `ro0ab`: `ab` is rarer than `ro`, `o0` or `0a` (its `b`); `%ac%ed%00%05`: the first `%0`, whose `%`
        // and digit are both rarer than the letters; a single byte is its own anchor.
        #expect(AnchorSearch.anchor(of: Array("ro0ab".utf8)) == 3)
        #expect(AnchorSearch.anchor(of: Array("%ac%ed%00%05".utf8)) == 6)
        #expect(AnchorSearch.anchor(of: Array("`".utf8)) == 0)
        #expect(AnchorSearch([]) == nil)
        #expect(AnchorSearch([([], 0)]) == nil)
        let nine = (0..<9).map { (bytes: [UInt8(ascii: "0") + UInt8($0)], bit: 0) }
        #expect(AnchorSearch(nine) == nil)
        #expect(AnchorSearch(Array(nine.prefix(8))) != nil)
    }
}
