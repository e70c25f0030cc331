/// Finding a byte string inside another, for the operators and the body parsers.
enum ByteSearch {
    /// Where `needle` first occurs in `haystack` at or after `start` (by default its start), as an index of
    /// `haystack`; nil when it does not (or is empty).
    static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int? = nil) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start ?? haystack.startIndex
        while index <= haystack.endIndex - needle.count {
            if haystack[index] == first && haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
