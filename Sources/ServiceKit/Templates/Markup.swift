/// Text that is already safe HTML and must not be escaped again (Jinja's `Markup`, the `|safe` filter).
public struct Markup: Sendable, Hashable, CustomStringConvertible {
    /// The HTML.
    public let html: String

    /// Marks `html` as safe.
    public init(_ html: String) { self.html = html }

    public var description: String { self.html }

    /// Escapes `&`, `<`, `>`, `"` and `'` as Jinja's autoescape does.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&#34;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
