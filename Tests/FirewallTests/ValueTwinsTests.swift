@testable import Firewall
import Testing

/// The table that finds a value's earlier twin: it must find every repeat, and never pair values that differ.
@Suite struct ValueTwinsTests {
    /// Looks `values` up in order, as an evaluation does, returning each one's twin (nil for a first occurrence).
    static func twins(_ values: [[UInt8]], in table: inout ValueTwins) -> [Int?] {
        values.indices.map { entry in
            values[entry].withUnsafeBufferPointer { value in
                table.twin(of: entry, value) { earlier in
                    values[earlier].withUnsafeBufferPointer { $0 }
                }
            }
        }
    }

    /// Values of every length up to 40 (each tail of the hash's eight-byte steps), a third of them repeats,
    /// through several doublings of the table: each repeat names the first entry with its bytes, as a dictionary
    /// would.
    @Test func findsTheFirstEntryWithTheSameBytes() {
        var generator = SystemRandomNumberGenerator()
        var distinct: [[UInt8]] = []
        for length in 0...40 {
            for _ in 0..<12 { distinct.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        }
        var values: [[UInt8]] = []
        for _ in 0..<1_500 {
            values.append(Bool.random(using: &generator) && !values.isEmpty ? values.randomElement(using: &generator)! : distinct.randomElement(using: &generator)!)
        }
        var first: [[UInt8]: Int] = [:]
        let expected = values.indices.map { entry -> Int? in
            if let earlier = first[values[entry]] { return earlier }
            first[values[entry]] = entry
            return nil
        }
        var table = ValueTwins()
        #expect(Self.twins(values, in: &table) == expected)
        #expect(expected.contains { $0 != nil } && expected.contains { $0 == nil })
    }

    /// Values one byte apart, at every position of every length up to 24, and values that are prefixes of each
    /// other, are not twins.
    @Test func valuesOneByteApartAreNotTwins() {
        var values: [[UInt8]] = []
        for length in 1...24 {
            let base = [UInt8](repeating: 0x61, count: length)
            values.append(base)
            for position in 0..<length {
                var changed = base
                changed[position] ^= 0x01
                values.append(changed)
                changed[position] = 0x61 ^ 0x80
                values.append(changed)
            }
        }
        values.append([])
        var table = ValueTwins()
        #expect(Self.twins(values, in: &table).allSatisfy { $0 == nil })
    }

    /// Two values whose hashes agree in the half the table keeps (found by trying eight-byte values until two
    /// do) are told apart by their bytes: a table that trusted the hash would make them twins.
    @Test func valuesWhoseStoredHashesCollideAreComparedByTheirBytes() throws {
        var seen: [UInt64: [UInt8]] = [:]
        var pair: ([UInt8], [UInt8])?
        for counter in UInt64(0)..<2_000_000 {
            let value = withUnsafeBytes(of: counter.littleEndian) { Array($0) }
            let stored = value.withUnsafeBufferPointer { ValueTwins.hash($0) } >> 32
            if let earlier = seen[stored] {
                pair = (earlier, value)
                break
            }
            seen[stored] = value
        }
        let (first, second) = try #require(pair, "among the first two million values, two share the hash's stored half")
        #expect(first != second)
        var table = ValueTwins()
        #expect(Self.twins([first, second, first, second], in: &table) == [nil, nil, 0, 1])
    }

    /// Emptied, the table forgets what it held, so the next request's values are first occurrences again.
    @Test func removeAllForgetsEveryValue() {
        let values = (0..<200).map { Array("value \($0 % 50)".utf8) }
        var table = ValueTwins()
        #expect(Self.twins(values, in: &table).compactMap { $0 }.count == 150)
        table.removeAll()
        let again = Self.twins(values, in: &table)
        #expect(again.prefix(50).allSatisfy { $0 == nil })
        #expect(again.dropFirst(50).enumerated().allSatisfy { $0.element == $0.offset % 50 })
    }
}
