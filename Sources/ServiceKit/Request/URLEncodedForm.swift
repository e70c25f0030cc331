public import HummingbirdCore

/// `application/x-www-form-urlencoded` text (query strings and form bodies), decoded as Werkzeug does:
/// `+` is a space, `%XX` a byte, and a name may repeat.
public enum URLEncodedForm {
    /// Parses `name=value&name=value`; a pair without `=` has an empty value, malformed escapes are kept as written.
    public static func parse(_ text: some StringProtocol) -> FlatDictionary<String, String> {
        var result = FlatDictionary<String, String>()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result.append(key: self.decode(parts[0]), value: parts.count > 1 ? self.decode(parts[1]) : "")
        }
        return result
    }

    /// Decodes one component.
    public static func decode(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                    let low = hexValue(iterator[iterator.startIndex + 1])
                {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
