/// A transformation applied to a target's bytes before an operator looks at them, with ModSecurity's semantics,
/// so evasions such as `%2527`, `&#x3c;` or `un/**/ion` reach the patterns in the form they were written for.
///
/// Transforms are pure functions over bytes; a rule lists them in order (``apply(_:to:)``).
public enum Transform: String, Sendable, CaseIterable {
    /// `%XX`, `%uXXXX` (full-width forms fold to ASCII) and `+` as space (ModSecurity's `urlDecodeUni`).
    case urlDecode = "url_decode"
    /// ASCII upper case to lower case.
    case lowercase
    /// `&lt;`, `&#60;`, `&#x3c;` and the other common named entities, with or without the closing `;`.
    case htmlEntityDecode = "html_entity_decode"
    /// JavaScript escapes: `\n`, `\xHH`, `\uHHHH`, octal `\OOO`, `\'`.
    case jsDecode = "js_decode"
    /// CSS escapes: `\HH` to `\HHHHHH` with one optional whitespace after, `\x` as `x`, and line continuations.
    case cssDecode = "css_decode"
    /// Standard base64; the input stays as it is when it is not base64.
    case base64Decode = "base64_decode"
    /// Drops NUL bytes.
    case removeNulls = "remove_nulls"
    /// Turns each run of whitespace (space, tab, CR, LF, FF, VT, NBSP) into one space.
    case compressWhitespace = "compress_whitespace"
    /// Backslashes to slashes, then `//`, `/./` and `/../` resolved as a path would be.
    case normalizePath = "normalize_path"
    /// ModSecurity's `cmdLine`: drops `\ " ' ^`, drops spaces before `/` and `(`, turns `,` and `;` into
    /// spaces, compresses whitespace and lowercases, so `c^a"t /etc/pa''sswd` reads as `cat /etc/passwd`.
    case cmdLine = "cmd_line"
    /// Multi-byte UTF-8 sequences to `%uHHHH`, as ModSecurity's `utf8toUnicode`.
    case utf8ToUnicode = "utf8_to_unicode"
    /// The value's length in bytes, as a decimal number, for numeric comparisons.
    case length

    /// Applies `transforms` in order.
    public static func apply(_ transforms: [Transform], to input: [UInt8]) -> [UInt8] {
        Array(transforms.reduce(input[...]) { $1.apply($0) })
    }

    /// The most bytes this transform's output can have for `count` input bytes; nil when it can lengthen a value
    /// (or no bound was worked out). The bounded ones rewrite in place or drop bytes; base64 turns each four
    /// characters into three bytes.
    func maximumOutputCount(forInput count: Int) -> Int? {
        switch self {
        case .urlDecode, .lowercase, .removeNulls, .compressWhitespace, .cmdLine: count
        case .base64Decode: count / 4 * 3 + count % 4 * 3 / 4
        case .htmlEntityDecode, .jsDecode, .cssDecode, .normalizePath, .utf8ToUnicode, .length: nil
        }
    }

    /// Applies this transform.
    public func apply(_ input: [UInt8]) -> [UInt8] {
        Array(self.apply(input[...]))
    }

    /// Applies this transform to a slice, such as a request value inside the buffer its phase was parsed into.
    /// A value the transform leaves as it is comes back as the same slice, with no copy.
    func apply(_ input: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var storage: [UInt8] = []
        return self.apply(input, reusing: &storage)
    }

    /// ``apply(_:)``, writing the output into `storage` where the transform rewrites a copy of its input
    /// (`lowercase`, `base64_decode`, `cmd_line`), so an array from an earlier output can be reused.
    func apply(_ input: ArraySlice<UInt8>, reusing storage: inout [UInt8]) -> ArraySlice<UInt8> {
        switch self {
        case .urlDecode: Decoders.hasURLEscapes(input) ? Decoders.url(input)[...] : input
        case .lowercase: input.contains { $0 >= 0x41 && $0 <= 0x5A } ? Decoders.lowercase(input, reusing: &storage)[...] : input
        case .htmlEntityDecode: Decoders.hasHTMLEntities(input) ? Decoders.htmlEntities(Array(input))[...] : input
        case .jsDecode: input.contains(UInt8(ascii: "\\")) ? Decoders.javaScript(Array(input))[...] : input
        case .cssDecode: input.contains(UInt8(ascii: "\\")) ? Decoders.css(Array(input))[...] : input
        case .base64Decode: Decoders.base64(input, reusing: &storage)?[...] ?? input
        case .removeNulls: input.contains(0) ? input.filter { $0 != 0 }[...] : input
        case .compressWhitespace: Decoders.hasWhitespaceToCompress(input) ? Decoders.compressWhitespace(input)[...] : input
        case .normalizePath: Decoders.isNormalPath(input) ? input : Decoders.normalizePath(input)[...]
        case .cmdLine: Decoders.cmdLine(input, reusing: &storage)[...]
        case .utf8ToUnicode: input.contains { $0 >= 0x80 } ? Decoders.utf8ToUnicode(Array(input))[...] : input
        case .length: Array(String(input.count).utf8)[...]
        }
    }
}
