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
                    return scanner.scan(value, into: row + offset, summarizing: true)
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
        // Up to 400 bytes: values of 128 and more are walked in two halves, whose classes must join up.
        for _ in 0..<2_000 {
            let length = Bool.random(using: &generator) ? Int.random(in: 0...12, using: &generator) : Int.random(in: 120...400, using: &generator)
            let value = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            var result = [UInt64](repeating: 0, count: 1)
            #expect(Self.summarizingScan(prefilter, value, into: &result, offset: 0) == TransformTriggers.classes(of: value[...]), "value \(value)")
        }
        // Each pair of those bytes just before, at and after the start of a long value's second half (the middle
        // less the overlap of 1), in filler that adds no class of its own.
        let middle = 100
        for first in alphabet {
            for second in alphabet {
                for start in (middle - 3)...(middle + 1) {
                    var value = [UInt8](repeating: UInt8(ascii: "x"), count: 2 * middle)
                    value[start] = first
                    value[start + 1] = second
                    var result = [UInt64](repeating: 0, count: 1)
                    #expect(
                        Self.summarizingScan(prefilter, value, into: &result, offset: 0) == TransformTriggers.classes(of: value[...]),
                        "bytes \(first), \(second) at \(start)"
                    )
                }
            }
        }
    }

    /// The conditions a scan sets are exactly those with a literal in the value (ASCII case ignored), for a small
    /// automaton with one result word and for one of over 65,536 states and 47 words; in short values, and in long
    /// ones (up to 60 literal pieces), which are walked in two halves.
    @Test(arguments: [
        (conditions: 40, length: 4, pieces: 4), (conditions: 3_000, length: 30, pieces: 4), (conditions: 40, length: 4, pieces: 60),
        (conditions: 3_000, length: 30, pieces: 20),
    ])
    func scanFindsExactlyTheLiteralsPresent(shape: (conditions: Int, length: Int, pieces: Int)) {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let literals = (0..<shape.conditions).map { _ in (0..<shape.length).map { _ in letters.randomElement(using: &generator) ?? 0 } }
        let prefilter = LiteralPrefilter(literals.map { [$0] })
        var owners: [[UInt8]: [Int]] = [:]
        for (condition, literal) in literals.enumerated() { owners[literal, default: []].append(condition) }
        for _ in 0..<200 {
            // Pieces of literals (whole, cut short, upper-cased) between random letters.
            var value: [UInt8] = []
            for _ in 0..<Int.random(in: 0...shape.pieces, using: &generator) {
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

    /// A long value is walked as two halves, the second starting early by the longest literal less one: a literal
    /// is found wherever it lies across the middle, down to the one that starts exactly that early.
    @Test func aLiteralAcrossTheMiddleOfALongValueIsFound() {
        let prefilter = LiteralPrefilter([[Array("needle".utf8)], [Array("longest-literal".utf8)], [Array("q".utf8)]])
        for length in [128, 129, 300] {
            let middle = length / 2
            for (condition, literal) in [(0, Array("needle".utf8)), (1, Array("longest-literal".utf8))] {
                for start in (middle - literal.count - 1)...(middle + 1) {
                    var value = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                    value.replaceSubrange(start..<(start + literal.count), with: literal)
                    #expect(self.conditions(prefilter, String(decoding: value, as: UTF8.self), count: 3) == [condition], "length \(length), start \(start)")
                }
            }
        }
    }

    /// Two values walked side by side get each its own conditions and byte classes, as when scanned alone, for
    /// pairs of any lengths (the longer one's rest is walked alone).
    @Test(arguments: [1, 3])
    func aPairIsScannedAsEachAlone(words: Int) {
        let sets: [Set<[UInt8]>?] = (0..<(words * 64 - 10)).map { [Array("k\($0)z".utf8), Array("'".utf8)] }
        let prefilter = LiteralPrefilter(sets)
        #expect(prefilter.words == words)
        let alphabet = Array("k0123456789z'/ .%+".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let values = (0..<2).map { _ in
                (0..<Int.random(in: 0...127, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            }
            var alone = [UInt64](repeating: 0, count: 2 * words)
            let aloneClasses = values.indices.map { Self.summarizingScan(prefilter, values[$0], into: &alone, offset: $0 * words) }
            var paired = [UInt64](repeating: 0, count: 2 * words)
            let pairedClasses = values[0].withUnsafeBufferPointer { first in
                values[1].withUnsafeBufferPointer { second in
                    paired.withUnsafeMutableBufferPointer { paired in
                        prefilter.withScanner { scanner in
                            guard let row = paired.baseAddress else { return (UInt32(0), UInt32(0)) }
                            return scanner.scan(first, into: row, second, into: row + words, summarizing: true)
                        }
                    }
                }
            }
            #expect(paired == alone, "\(values)")
            #expect([pairedClasses.0, pairedClasses.1] == aloneClasses, "\(values)")
        }
    }
}
