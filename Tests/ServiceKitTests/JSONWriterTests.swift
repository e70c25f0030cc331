import Foundation
import ServiceKit
import Testing

@Suite("JSONWriter")
struct JSONWriterTests {
    func written(_ value: some JSONRepresentable, sortKeys: Bool = true) -> String {
        var writer = JSONWriter(sortKeys: sortKeys)
        value.writeJSON(to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func escapesWhatJSONRequires() {
        #expect(self.written("quote \" backslash \\ tab \t nl \n cr \r bell \u{07} slash / é 😀")
            == #""quote \" backslash \\ tab \t nl \n cr \r bell \u0007 slash / é 😀""#)
    }

    @Test func sortsKeysUnlessAskedNotTo() {
        #expect(self.written(["b": 1, "a": 2, "c": 3]) == #"{"a":2,"b":1,"c":3}"#)
        #expect(self.written(["b": 1, "a": 2], sortKeys: false).count == #"{"a":2,"b":1}"#.count)
    }

    @Test func numbersAndNonFiniteValues() {
        #expect(self.written([1.5, 2.0, -0.25, 1e-7, .infinity, .nan]) == "[1.5,2.0,-0.25,1e-07,null,null]")
        #expect(self.written([Int.min, 0, Int.max]) == "[\(Int.min),0,\(Int.max)]")
        #expect(self.written([true, false]) == "[true,false]")
        #expect(self.written([Optional("a"), nil]) == #"["a",null]"#)
    }

    @Test func agreesWithJSONEncoderOnNestedValues() throws {
        let value: [String: [String: [Int]]] = ["z": ["y": [3, 2, 1]], "a": [:], "m": ["k": []]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(self.written(value) == String(decoding: try encoder.encode(value), as: UTF8.self))
        let json: JSONValue = ["list": [1, "two", nil, ["deep": true]], "n": 2.5]
        #expect(try JSONValue(parsing: Array(self.written(json).utf8)) == json)
    }
}
