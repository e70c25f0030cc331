#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// URL-safe base64 without padding (RFC 4648 §5), as itsdangerous writes it in signed cookies.
public enum Base64URL {
    /// Encodes `bytes` with `-` and `_` and no `=` padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.last == "=" { text.removeLast() }
        return text
    }

    /// Decodes URL-safe or standard base64, with or without padding; `nil` when `text` is not base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = standard.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
