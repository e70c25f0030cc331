@testable import Firewall
import Foundation
import Testing

@Suite("Transforms")
struct TransformTests {
    func run(_ transform: Transform, _ input: String) -> String {
        String(decoding: transform.apply(Array(input.utf8)), as: UTF8.self)
    }

    @Test func urlDecodeHandlesPercentUnicodeAndPlus() {
        #expect(self.run(.urlDecode, "a%20b+c%27%2f") == "a b c'/")
        #expect(self.run(.urlDecode, "%u0027%uFF1Cscript%uff1e") == "'<script>")
        #expect(self.run(.urlDecode, "100% sure %zz %4") == "100% sure %zz %4", "malformed escapes stay as written")
        #expect(Transform.apply([.urlDecode, .urlDecode], to: Array("%2527".utf8)) == Array("'".utf8), "double encoding, decoded twice")
    }

    @Test func formFieldsAreSplitAndDecodedFromSlices() {
        // Empty pairs are skipped, a pair without `=` is a name with an empty value, and decoding (with its
        // `%` at the end of a slice) stays inside each name and value.
        var buffer = ValueBuffer()
        let query = buffer.append("a=1&&b&=3&c%41=%41+b%&d=%2".utf8)
        let fields = FormFields.urlEncoded(query, in: &buffer)
        #expect(fields.map { String(decoding: buffer[$0.name], as: UTF8.self) } == ["a", "b", "", "cA", "d"])
        #expect(fields.map { String(decoding: buffer[$0.value], as: UTF8.self) } == ["1", "", "3", "A b%", "%2"])
        // Parts without escapes are ranges of the query itself; only those with `%` or `+` were appended.
        #expect(fields.filter { query.contains($0.value.lowerBound) }.count == 3)
        #expect(buffer.count == query.count + "cA".utf8.count + "A b%".utf8.count + "%2".utf8.count)
    }

    /// The transforms that rewrite a copy in place, against Foundation's base64 and a plain lower-casing.
    @Test func inPlaceRewritesMatchReferenceImplementations() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Array(Data(bytes).base64EncodedString().utf8)
            #expect(Transform.base64Decode.apply(encoded) == bytes, "base64 of \(bytes)")
            #expect(Transform.lowercase.apply(bytes) == bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 })
        }
    }

    /// Base64 with spaces, line breaks and padding anywhere, and in either alphabet, decodes as Foundation decodes
    /// it without them: the decoder takes four sextets at a time only where no bits are pending, and a skipped
    /// byte in any place of a four must leave the output the same. A byte outside the alphabet leaves the value
    /// as it is, wherever it is.
    @Test func base64IgnoresSkippedBytesAnywhere() {
        var generator = SystemRandomNumberGenerator()
        let skipped = Array(" \n\r=".utf8)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var encoded = Array(Data(bytes).base64EncodedString().utf8)
            if Bool.random(using: &generator) { encoded = encoded.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 } }
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                encoded.insert(skipped.randomElement(using: &generator) ?? 0x20, at: Int.random(in: 0...encoded.count, using: &generator))
            }
            #expect(Transform.base64Decode.apply(encoded) == bytes, "base64 \(String(decoding: encoded, as: UTF8.self)) of \(bytes)")
            guard !encoded.isEmpty else { continue }
            var invalid = encoded
            invalid.insert(UInt8(ascii: "."), at: Int.random(in: 0...invalid.count, using: &generator))
            #expect(Transform.base64Decode.apply(invalid) == invalid, "not base64: \(String(decoding: invalid, as: UTF8.self))")
        }
    }

    @Test func perCollectionTablesHoldEveryCollectionAndOneMore() {
        #expect(RequestView.PerCollection.count == TargetSelector.Collection.allCases.count + 1)
        #expect(TargetSelector.Collection.allCases.map(\.ordinal).sorted() == Array(0..<RequestView.collectionCount), "one ordinal each")
    }

    @Test func cookiesAreSplitAtSemicolons() {
        // Leading spaces are dropped, empty items skipped, and only the first `=` separates name from value.
        // Ranges are the indices of the slice given, here a header value in the middle of a buffer.
        let bytes = Array("Cookie: a=1;  b=2;; c; =v; d=x=y;".utf8)
        let fields = FormFields.cookies(bytes[8...])
        #expect(fields.map { String(decoding: bytes[$0.name], as: UTF8.self) } == ["a", "b", "c", "", "d"])
        #expect(fields.map { String(decoding: bytes[$0.value], as: UTF8.self) } == ["1", "2", "", "v", "x=y"])
        #expect(FormFields.cookies(Array(" ; ".utf8)[...]).isEmpty)
    }

    @Test func jsonFieldsAreUnescapedWithTheirPaths() {
        // Escaped keys and strings (a surrogate pair among them) are appended unescaped; the others, numbers and
        // literals are ranges of the body itself. Invalid JSON keeps the fields read before it.
        let body = #"{"a\"b":{"c":[1, "x\ty", {"d\u0065":"\ud83d\ude00!"}]},"n":-2.5e3,"t":true,"z":[7,},"#
            + #""after":1}"#
        var buffer = ValueBuffer()
        let text = buffer.append(body.utf8)
        let fields = JSONFields.flatten(text, in: &buffer)
        #expect(fields.map { String(decoding: buffer[$0.name], as: UTF8.self) } == ["a\"b.c.0", "a\"b.c.1", "a\"b.c.2.de", "n", "t", "z.0"])
        #expect(fields.map { String(decoding: buffer[$0.value], as: UTF8.self) } == ["1", "x\ty", "\u{1F600}!", "-2.5e3", "true", "7"])
        #expect(fields.filter { text.contains($0.value.lowerBound) }.count == 4, "numbers and literals are not copied")
    }

    @Test func jsonArrayPositionsAreDecimalPathComponents() {
        let body = "{\"l\":[" + (0...12).map(String.init).joined(separator: ",") + "]}"
        var buffer = ValueBuffer()
        let text = buffer.append(body.utf8)
        let names = JSONFields.flatten(text, in: &buffer).map { String(decoding: buffer[$0.name], as: UTF8.self) }
        #expect(names == (0...12).map { "l.\($0)" })
    }

    /// Strings are searched eight bytes at a time for their end or an escape: escapes at every distance from a
    /// string's start and from the body's end, against Foundation's parser. `#` and `]` are one bit from a quote
    /// and a backslash, which the eight-byte test may flag above a true one.
    @Test func jsonStringsOfEveryLengthAgreeWithFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "b", " ", "#", "]", "\\\"", "\\\\", "\\n", "\\u00e9", "é"]
        for _ in 0..<500 {
            let text = (0..<Int.random(in: 0...48, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "a" }.joined()
            let body = "{\"k\":\"\(text)\"}"
            var buffer = ValueBuffer()
            let fields = JSONFields.flatten(buffer.append(body.utf8), in: &buffer)
            let expected = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
            #expect(fields.count == 1)
            #expect(fields.map { String(decoding: buffer[$0.value], as: UTF8.self) } == [expected["k"]], "body \(body)")
        }
    }

    @Test func jsonNamesStayWithinABudgetWhenPathsAreLong() {
        // A 100 KB key holding 20,000 elements: whole paths would take 2 GB.
        let key = String(repeating: "k", count: 100_000)
        let body = "{\"\(key)\":[" + Array(repeating: "1", count: 20_000).joined(separator: ",") + "]}"
        var buffer = ValueBuffer()
        let text = buffer.append(body.utf8)
        let fields = JSONFields.flatten(text, in: &buffer)
        #expect(fields.count == 20_000, "every value is still a field")
        let names = fields.map { String(decoding: buffer[$0.name], as: UTF8.self) }
        #expect(names.first == key + ".0", "whole paths while the budget lasts")
        #expect(names.last == "19999", "then the last component")
        let budget = JSONFields.nameBudget(forBodyOf: text.count)
        #expect(names.reduce(0) { $0 + $1.utf8.count } <= budget + 20_000 * 5)
        #expect(buffer.count <= text.count + budget + 20_000 * 5)
    }

    @Test func htmlEntitiesNamedDecimalAndHex() {
        #expect(self.run(.htmlEntityDecode, "&lt;script&gt;alert(&#39;x&#x27;)&LT;/script&gt") == "<script>alert('x')</script>")
        #expect(self.run(.htmlEntityDecode, "&#106&#97&#118&#x61;script:") == "javascript:")
        #expect(self.run(.htmlEntityDecode, "AT&T &unknown; &#;") == "AT&T &unknown; &#;")
    }

    @Test func javaScriptAndCSSEscapes() {
        #expect(self.run(.jsDecode, #"\x3cscript\u003e\n\'\141\\"#) == "<script>\n'a\\")
        #expect(self.run(.jsDecode, #"\uff1c"#) == "<")
        #expect(self.run(.cssDecode, #"\65 xpression(\28 1\29) \j"#) == "expression((1)) j")
        #expect(self.run(.cssDecode, "back\\\nslash") == "backslash")
    }

    @Test func base64NullsAndWhitespace() {
        #expect(self.run(.base64Decode, "PHNjcmlwdD4=") == "<script>")
        #expect(self.run(.base64Decode, "not base64!") == "not base64!")
        #expect(self.run(.base64Decode, "PHNj\ncmlw dD4") == "<script>", "line breaks, spaces and missing padding")
        #expect(self.run(.base64Decode, "YT4_fg==") == self.run(.base64Decode, "YT4/fg=="), "the URL-safe alphabet")
        #expect(self.run(.base64Decode, "YT4/fg==") == "a>?~")
        #expect(Transform.removeNulls.apply([0x61, 0x00, 0x62]) == [0x61, 0x62])
        #expect(self.run(.compressWhitespace, "union \t\n  select\u{0B}1") == "union select 1")
    }

    @Test func pathsNormalizeAsAServerWouldResolveThem() {
        #expect(self.run(.normalizePath, "/a/./b/../../../etc//passwd") == "/etc/passwd")
        #expect(self.run(.normalizePath, "..\\..\\windows\\win.ini") == "../../windows/win.ini")
        #expect(self.run(.normalizePath, "/static/css/") == "/static/css/")
        #expect(self.run(.normalizePath, "a/b/..") == "a")
    }

    @Test func cmdLineUndoesShellObfuscation() {
        #expect(self.run(.cmdLine, #"c^a"t   /etc/pa''sswd"#) == "cat/etc/passwd")
        #expect(self.run(.cmdLine, "W\\HO\\AMI;ID,UNAME -A") == "whoami id uname -a")
        #expect(self.run(.cmdLine, "ping   (x)") == "ping(x)")
    }

    /// `cmd_line` as ModSecurity's documentation states it, one rule after another, against the in-place,
    /// table-driven transform, on random values of the bytes it treats specially and others.
    @Test func cmdLineMatchesItsStatedRules() {
        func reference(_ input: [UInt8]) -> [UInt8] {
            var output: [UInt8] = []
            for byte in input {
                switch byte {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "^"): continue
                case UInt8(ascii: "/"), UInt8(ascii: "("):
                    while output.last == 0x20 { output.removeLast() }
                    output.append(byte)
                case UInt8(ascii: ","), UInt8(ascii: ";"), 0x09...0x0D, 0x20, 0xA0:
                    if output.last != 0x20 { output.append(0x20) }
                default: output.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                }
            }
            return output
        }
        let alphabet = Array("\\\"'^/(,; \t\naZ".utf8) + [0x0B, 0xA0, 0xC3]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let value = (0..<Int.random(in: 0...16, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            #expect(Transform.cmdLine.apply(value) == reference(value), "value \(value)")
        }
    }

    @Test func utf8ToUnicodeAndLowercase() {
        #expect(self.run(.utf8ToUnicode, "a<é＜😀") == "a<%u00e9%uff1c%u1f600")
        #expect(self.run(.lowercase, "SeLeCt É") == "select É", "only ASCII letters change")
        #expect(Transform(rawValue: "url_decode") == .urlDecode)
        #expect(Transform(rawValue: "rot13") == nil)
    }

    /// A transform that rewrites a copy of its input writes it into the array it is handed, reusing its capacity;
    /// an array an earlier output still shares is copied, not overwritten.
    @Test func aRewritingTransformReusesTheArrayItIsHanded() {
        var storage = Array("an old output, long enough to hold the new one".utf8)
        let capacity = storage.capacity
        let address = storage.withUnsafeBufferPointer { $0.baseAddress }
        let output = Transform.cmdLine.apply(Array("Echo 'Hi'; LS".utf8)[...], reusing: &storage)
        #expect(Array(output) == Array("echo hi ls".utf8))
        #expect(storage == Array(output) && storage.capacity == capacity)
        #expect(storage.withUnsafeBufferPointer { $0.baseAddress } == address, "rewritten where it was")

        let held = storage
        let decoded = Transform.base64Decode.apply(Array("aGVsbG8=".utf8)[...], reusing: &storage)
        #expect(Array(decoded) == Array("hello".utf8))
        #expect(held == Array("echo hi ls".utf8), "the earlier output, still held, is unchanged")

        var untouched = Array("kept".utf8)
        #expect(Array(Transform.lowercase.apply(Array("lower".utf8)[...], reusing: &untouched)) == Array("lower".utf8))
        #expect(untouched == Array("kept".utf8), "a value the transform leaves as it is does not touch the array")
    }

    /// `html_entity_decode` copies a value only when an entity starts at one of its `&`s; the check agrees with
    /// the decoder on random values built around `&`, `#`, `;`, digits and entity names, whatever their case.
    @Test func htmlEntityDecodingIsSkippedExactlyWhenNothingWouldChange() {
        let pieces = ["&", "#", "x", "X", ";", "1", "4", "f", "=", "amp", "AMP", "lt", "name", "quot", "newline", "zz", "&#", "&#x"]
        var generator = SystemRandomNumberGenerator()
        var decoded = 0
        for _ in 0..<3_000 {
            let value = Array((0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined().utf8)
            let changes = Decoders.htmlEntities(value) != value
            if changes { decoded += 1 }
            #expect(Decoders.hasHTMLEntities(value[...]) == changes, "\(String(decoding: value, as: UTF8.self))")
            #expect(Array(Transform.htmlEntityDecode.apply(value[...])) == Decoders.htmlEntities(value))
        }
        #expect(decoded > 100, "both outcomes are exercised")
        #expect(!Decoders.hasHTMLEntities(Array("/api?id=42&name=alice&x=1".utf8)[...]), "a query string's separators are no entities")
        #expect(Decoders.hasHTMLEntities(Array("a&LT;b".utf8)[1...]), "a slice not starting at zero")
    }
}
