@testable import Firewall
import Testing

@Suite("Literal prefilter")
struct LiteralPrefilterTests {
    /// The conditions set in one scan, as indices.
    private func conditions(_ prefilter: LiteralPrefilter, _ value: String, count: Int) -> [Int] {
        var result = [UInt64](repeating: 0, count: prefilter.words + 1)
        prefilter.scan(Array(value.utf8)[...], into: &result, offset: 1)
        #expect(result[0] == 0, "nothing written before the offset")
        return (0..<count).filter { result[1 + $0 / 64] & (1 << UInt64($0 % 64)) != 0 }
    }

    @Test func setsTheBitsOfConditionsWhoseLiteralsOccurInEveryWord() {
        // 150 conditions take three words; every tenth has no literals.
        let sets: [Set<[UInt8]>?] = (0..<150).map { $0 % 10 == 9 ? nil : [Array("lit\($0)x".utf8), Array("alt\($0)y".utf8)] }
        let prefilter = LiteralPrefilter(sets)
        #expect(prefilter.words == 3)
        #expect(self.conditions(prefilter, "a lit3x, then ALT70Y and lit140x; lit9x", count: 150) == [3, 70, 140])
        #expect(self.conditions(prefilter, "lit1 x, alt2x", count: 150) == [])
        #expect(self.conditions(prefilter, "", count: 150) == [])
    }

    @Test func overlappingLiteralsAllCount() {
        let prefilter = LiteralPrefilter([[Array("union".utf8)], [Array("ion".utf8)], [Array(";".utf8)], nil])
        #expect(prefilter.words == 1)
        #expect(self.conditions(prefilter, "UNION select", count: 4) == [0, 1])
        #expect(self.conditions(prefilter, "a;b", count: 4) == [2])
    }
}
