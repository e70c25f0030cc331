/// Parsers for the name/value encodings inside a request: query strings and urlencoded bodies, cookies and
/// multipart form data. They never fail: what cannot be parsed is left out, and the raw bytes stay available
/// to rules through the `uri` and `body` targets.
enum FormFields {
    /// A name's and a value's ranges in the ``ValueBuffer`` of a request's values.
    typealias Field = (name: Range<Int>, value: Range<Int>)

    /// `a=1&b=2` at `range` of `buffer`, names and values percent-decoded with `+` as space. A part without
    /// escapes is its own range; a decoded one is appended to `buffer`.
    static func urlEncoded(_ range: Range<Int>, in buffer: inout ValueBuffer) -> [Field] {
        var fields = self.pairs(in: buffer[range], separator: UInt8(ascii: "&"), skippingLeadingSpaces: false)
        for index in fields.indices {
            fields[index].name = self.decoded(fields[index].name, in: &buffer)
            fields[index].value = self.decoded(fields[index].value, in: &buffer)
        }
        return fields
    }

    /// `range` of `buffer` percent-decoded: the range itself when there is nothing to decode.
    private static func decoded(_ range: Range<Int>, in buffer: inout ValueBuffer) -> Range<Int> {
        guard Decoders.hasURLEscapes(buffer[range]) else { return range }
        let decoded = Decoders.url(buffer[range])
        return buffer.append(decoded)
    }

    /// `a=1; b=2` from a Cookie header, as ranges of `bytes`' indices; values are not decoded (cookies have no
    /// standard encoding).
    static func cookies(_ bytes: ArraySlice<UInt8>) -> [Field] {
        self.pairs(in: bytes, separator: UInt8(ascii: ";"), skippingLeadingSpaces: true)
    }

    /// The `name=value` items between `separator`s, split at each item's first `=` (an item without one is a
    /// name with an empty value), as ranges of `bytes`' indices; empty items are left out.
    private static func pairs(in bytes: ArraySlice<UInt8>, separator: UInt8, skippingLeadingSpaces: Bool) -> [Field] {
        var fields: [Field] = []
        fields.reserveCapacity(bytes.count { $0 == separator } + 1)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: separator) ?? bytes.endIndex
            var first = start
            while skippingLeadingSpaces, first < end, bytes[first] == UInt8(ascii: " ") { first += 1 }
            if let equals = bytes[first..<end].firstIndex(of: UInt8(ascii: "=")) {
                fields.append((first..<equals, (equals + 1)..<end))
            } else if first < end {
                fields.append((first..<end, end..<end))
            }
            start = end + 1
        }
        return fields
    }

    /// The `boundary` parameter of a multipart Content-Type, its case kept.
    static func boundary(in contentType: String) -> [UInt8]? {
        let original = Array(contentType.utf8)
        let lowered = original.map(AhoCorasick.fold)
        guard let found = ByteSearch.firstIndex(of: Array("boundary=".utf8), in: lowered[...]) else { return nil }
        var value = original[(found + "boundary=".utf8.count)...].prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") }
        if value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\""), value.count >= 2 { value = value.dropFirst().dropLast() }
        return value.isEmpty ? nil : Array(value)
    }

    /// The fields and uploaded file names of a multipart/form-data body.
    static func multipart(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> (fields: [(name: [UInt8], value: [UInt8])], files: [(String, [UInt8])]) {
        let delimiter = Array("--".utf8) + boundary
        var fields: [(name: [UInt8], value: [UInt8])] = []
        var files: [(String, [UInt8])] = []
        var starts: [Int] = []
        var index = body.startIndex
        while let found = ByteSearch.firstIndex(of: delimiter, in: body, from: index) {
            starts.append(found)
            index = found + delimiter.count
        }
        for (start, end) in zip(starts, starts.dropFirst()) {
            var part = body[(start + delimiter.count)..<end]
            part = part.drop { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
            if part.last == UInt8(ascii: "\n") { part = part.dropLast() }
            if part.last == UInt8(ascii: "\r") { part = part.dropLast() }
            let content = Array(part)
            guard let split = ByteSearch.firstIndex(of: Array("\r\n\r\n".utf8), in: content[...]) ?? ByteSearch.firstIndex(of: Array("\n\n".utf8), in: content[...]) else { continue }
            let head = String(decoding: content[..<split], as: UTF8.self)
            let value = Array(content[(split + (content[split] == UInt8(ascii: "\r") ? 4 : 2))...])
            guard let disposition = head.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first(where: { $0.lowercased().hasPrefix("content-disposition:") }) else { continue }
            let name = Self.parameter("name", in: disposition) ?? ""
            if let filename = Self.parameter("filename", in: disposition) {
                files.append((name, Array(filename.utf8)))
            } else {
                fields.append((Array(name.utf8), value))
            }
        }
        return (fields, files)
    }

    /// `name="value"` (or unquoted) in a header's parameters.
    private static func parameter(_ name: String, in header: Substring) -> String? {
        for item in header.split(separator: ";").dropFirst() {
            let trimmed = item.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].lowercased() == name else { continue }
            var value = trimmed[trimmed.index(after: equals)...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }
}
