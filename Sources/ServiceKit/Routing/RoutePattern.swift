#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A Quart/Werkzeug route path such as `/teams/<int:team_id>`, parsed once when the route is registered.
///
/// Converters: `string` (the default: one segment), `int` (digits), `float` (`1.5`: digits, a dot, digits),
/// `uuid`, and `path` (the rest of the path, slashes included; it must be the last segment). A value that does
/// not fit its converter makes the route not match, so the request gets a 404.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    /// How a path parameter's text is validated and typed.
    public enum Converter: String, Sendable, Hashable {
        /// One path segment, not empty (the default).
        case string
        /// Digits, read as an `Int`.
        case int
        /// Digits, a dot, digits (`4.50`).
        case float
        /// A UUID in its 36-character form.
        case uuid
        /// The rest of the path, slashes included.
        case path

        /// Whether `text` is a valid value, by Werkzeug's rules.
        public func accepts(_ text: some StringProtocol) -> Bool {
            switch self {
            case .string: !text.isEmpty && !text.contains("/")
            case .path: !text.isEmpty
            case .int: !text.isEmpty && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && Int(text) != nil
            case .float:
                text.split(separator: ".", omittingEmptySubsequences: false).count == 2
                    && text.split(separator: ".").count == 2
                    && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 46 }
            case .uuid: text.utf8.count == 36 && UUID(uuidString: String(text)) != nil
            }
        }
    }

    /// One `/`-separated piece of the pattern.
    public enum Segment: Sendable, Hashable {
        /// Text that must match exactly.
        case literal(String)
        /// A named, converted value.
        case parameter(name: String, converter: Converter)
    }

    /// The pattern as written.
    public let description: String
    /// The parsed segments.
    public let segments: [Segment]

    /// Parses `pattern`.
    public init(_ pattern: String) throws(RouteError) {
        var segments: [Segment] = []
        var names: Set<String> = []
        for piece in pattern.split(separator: "/") {
            guard piece.hasPrefix("<") else {
                guard !piece.contains("<"), !piece.contains(">"), !piece.hasPrefix(":"), piece != "*", piece != "**" else {
                    throw RouteError(pattern: pattern, reason: "segment \"\(piece)\" mixes text and a <parameter>; make the parameter a whole segment")
                }
                segments.append(.literal(String(piece)))
                continue
            }
            guard piece.hasSuffix(">") else {
                throw RouteError(pattern: pattern, reason: "segment \"\(piece)\" opens a parameter with < but does not close it with >")
            }
            let inner = piece.dropFirst().dropLast()
            let parts = inner.split(separator: ":", maxSplits: 1)
            let (converterName, name) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("string", String(inner))
            guard let converter = Converter(rawValue: converterName) else {
                throw RouteError(pattern: pattern, reason: "unknown converter \"\(converterName)\"; use string, int, float, uuid or path")
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), names.insert(name).inserted else {
                throw RouteError(pattern: pattern, reason: "parameter name \"\(name)\" is empty, not an identifier, or used twice")
            }
            segments.append(.parameter(name: name, converter: converter))
        }
        if let index = segments.firstIndex(where: { if case .parameter(_, .path) = $0 { true } else { false } }),
            index != segments.count - 1
        {
            throw RouteError(pattern: pattern, reason: "a <path:...> parameter must be the last segment")
        }
        self.description = pattern
        self.segments = segments
    }

    /// The same route in Hummingbird's router syntax: `/teams/:team_id`, and `**` for a `path` parameter.
    public var routerPath: String {
        "/" + self.segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .parameter(_, .path): "**"
            case .parameter(let name, _): ":\(name)"
            }
        }.joined(separator: "/")
    }

    /// The parameters in order.
    public var parameters: [(name: String, converter: Converter)] {
        self.segments.compactMap { segment in
            if case .parameter(let name, let converter) = segment { (name, converter) } else { nil }
        }
    }

    /// Builds a path from parameter values, as Flask's `url_for`: values that are not parameters become the
    /// query string, sorted by name.
    public func build(_ values: [String: String]) throws(RouteError) -> String {
        var path: [String] = []
        var unused = values
        for segment in self.segments {
            switch segment {
            case .literal(let text):
                path.append(text)
            case .parameter(let name, let converter):
                guard let value = unused.removeValue(forKey: name) else {
                    throw RouteError(pattern: self.description, reason: "url building needs a value for \"\(name)\"")
                }
                guard converter.accepts(value) else {
                    throw RouteError(pattern: self.description, reason: "\"\(value)\" is not a valid \(converter.rawValue) for \"\(name)\"")
                }
                path.append(Self.percentEncode(value, keepSlash: converter == .path))
            }
        }
        var url = "/" + path.joined(separator: "/")
        if !unused.isEmpty {
            url += "?" + unused.sorted { $0.key < $1.key }
                .map { "\(Self.percentEncode($0.key, keepSlash: false))=\(Self.percentEncode($0.value, keepSlash: false))" }
                .joined(separator: "&")
        }
        return url
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (and `/` inside a path value).
    private static func percentEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                bytes.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A route could not be registered or a URL could not be built.
public struct RouteError: Error, Sendable, CustomStringConvertible {
    /// The route pattern or endpoint concerned.
    public let pattern: String
    /// What is wrong.
    public let reason: String

    public var description: String { "route \(self.pattern): \(self.reason)" }
}
