@testable import Firewall
import Testing

@Suite("Literal prefilter")
struct LiteralPrefilterTests {
    /// The conditions set in one scan, as indices; the scan without byte classes must set the same.
    private func conditions(_ prefilter: LiteralPrefilter, _ value: String, count: Int) -> [Int] {
        var result = [UInt64](repeating: 0, count: prefilter.words + 1)
        _ = Self.summarizingScan(prefilter, Array(value.utf8), into: &result, offset: 1)
        #expect(result[0] == 0, "nothing written before the offset")
        var withoutClasses = [UInt64](repeating: 0, count: prefilter.words + 1)
        prefilter.scanWithoutClasses(Array(value.utf8)[...], into: &withoutClasses, offset: 1)
        #expect(withoutClasses == result, "\(value)")
        return (0..<count).filter { result[1 + $0 / 64] & (1 << UInt64($0 % 64)) != 0 }
    }

    /// A scan that summarizes byte classes, as the evaluation's raw-value pass makes it.
    private static func summarizingScan(_ prefilter: LiteralPrefilter, _ value: [UInt8], into result: inout [UInt64], offset: Int) -> UInt32 {
        value.withUnsafeBufferPointer { value in
            result.withUnsafeMutableBufferPointer { result in
                prefilter.withScanner { scanner in
                    guard let row = result.baseAddress else { return 0 }
                    return scanner.scan(value, into: row + offset)
                }
            }
        }
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

    /// The byte classes a scan returns are those ``TransformTriggers/classes(of:)`` finds, for values built from
    /// the bytes that decide them (space, slash, dot, the trigger bytes) and others.
    @Test func scanSummarizesTheByteClassesToo() {
        let prefilter = LiteralPrefilter([[Array("ab".utf8)]])
        let alphabet = Array(" /.%+&\\\"';,(\t\u{0}aZ9".utf8) + [0xA0, 0xC3]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let value = (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            var result = [UInt64](repeating: 0, count: 1)
            #expect(Self.summarizingScan(prefilter, value, into: &result, offset: 0) == TransformTriggers.classes(of: value[...]), "value \(value)")
        }
    }

    /// The conditions a scan sets are exactly those with a literal in the value (ASCII case ignored), for a small
    /// automaton with one result word and for one of over 65,536 states and 47 words.
    @Test(arguments: [(conditions: 40, length: 4), (conditions: 3_000, length: 30)])
    func scanFindsExactlyTheLiteralsPresent(shape: (conditions: Int, length: Int)) {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let literals = (0..<shape.conditions).map { _ in (0..<shape.length).map { _ in letters.randomElement(using: &generator) ?? 0 } }
        let prefilter = LiteralPrefilter(literals.map { [$0] })
        var owners: [[UInt8]: [Int]] = [:]
        for (condition, literal) in literals.enumerated() { owners[literal, default: []].append(condition) }
        for _ in 0..<200 {
            // Pieces of literals (whole, cut short, upper-cased) between random letters.
            var value: [UInt8] = []
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                value += (0..<Int.random(in: 0...3, using: &generator)).map { _ in letters.randomElement(using: &generator) ?? 0 }
                var piece = literals.randomElement(using: &generator) ?? []
                if Bool.random(using: &generator) { piece = Array(piece.dropLast(Int.random(in: 1...2, using: &generator))) }
                if Bool.random(using: &generator) { piece = piece.map { $0 & 0xDF } }
                value += piece
            }
            let lowered = value.map(AhoCorasick.fold)
            let windows = lowered.count < shape.length ? [] : (0...(lowered.count - shape.length)).map { Array(lowered[$0..<($0 + shape.length)]) }
            let expected = Set(windows.flatMap { owners[$0] ?? [] }).sorted()
            #expect(self.conditions(prefilter, String(decoding: value, as: UTF8.self), count: shape.conditions) == expected)
        }
    }
}
