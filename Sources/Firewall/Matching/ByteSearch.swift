/// Finding a byte string inside another, for the operators and the body parsers.
enum ByteSearch {
    /// Where `needle` first occurs in `haystack` at or after `start`; nil when it does not (or is empty).
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
