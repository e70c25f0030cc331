#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Flask's `TaggedJSONSerializer` (`flask.json.tag`): how non-JSON session values travel inside JSON.
///
/// A tagged value is a one-key object whose key is a tag (`{" t": [1, 2]}` is a tuple). An ordinary one-key
/// object whose key happens to be a tag is escaped with `" di"` so it is not mistaken for one.
enum TaggedJSON {
    private static let tags: Set<String> = [" t", " b", " m", " u", " d", " di"]

    /// Tags a session value into plain JSON.
    static func tag(_ value: SessionValue) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map(tag))
        case .object(let members):
            if members.count == 1, let (key, member) = members.first, tags.contains(key) {
                .object([" di": .object([key + "__": tag(member)])])
            } else {
                .object(members.mapValues(tag))
            }
        case .tuple(let values): .object([" t": .array(values.map(tag))])
        case .bytes(let bytes): .object([" b": .string(Data(bytes).base64EncodedString())])
        case .markup(let html): .object([" m": .string(html)])
        case .uuid(let uuid): .object([" u": .string(uuid.uuidString.lowercased().replacingOccurrences(of: "-", with: ""))])
        case .date(let date): .object([" d": .string(HTTPDate.format(date))])
        }
    }

    /// Reads tagged JSON back, innermost values first, as Flask's `_untag_scan` does.
    static func untag(_ value: JSONValue) throws(SessionFormatError) -> SessionValue {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .array(let values):
            var result: [SessionValue] = []
            result.reserveCapacity(values.count)
            for element in values { result.append(try untag(element)) }
            return .array(result)
        case .object(let members):
            var result: [String: SessionValue] = [:]
            for (key, member) in members { result[key] = try untag(member) }
            guard result.count == 1, let (key, tagged) = result.first, tags.contains(key) else { return .object(result) }
            return try untag(tag: key, tagged)
        }
    }

    private static func untag(tag: String, _ value: SessionValue) throws(SessionFormatError) -> SessionValue {
        switch (tag, value) {
        case (" t", .array(let values)):
            return .tuple(values)
        case (" b", .string(let text)):
            guard let data = Data(base64Encoded: text) else { throw SessionFormatError("bad base64 in a bytes tag") }
            return .bytes(Array(data))
        case (" m", .string(let html)):
            return .markup(html)
        case (" u", .string(let hex)):
            guard let uuid = UUID(hex: hex) else { throw SessionFormatError("bad UUID in a uuid tag") }
            return .uuid(uuid)
        case (" d", .string(let text)):
            guard let date = HTTPDate.parse(text) else { throw SessionFormatError("bad HTTP date in a datetime tag") }
            return .date(date)
        case (" di", .object(let members)) where members.count == 1:
            guard let (key, member) = members.first, key.hasSuffix("__") else {
                throw SessionFormatError("bad escaped key in a dict tag")
            }
            return .object([String(key.dropLast(2)): member])
        default:
            throw SessionFormatError("tag \"\(tag)\" holds a \(value) it cannot")
        }
    }
}

/// Session data that is signed correctly but is not Flask's tagged JSON.
struct SessionFormatError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

extension UUID {
    /// Parses 32 hex digits without dashes, as Python's `UUID.hex` writes them.
    init?(hex: String) {
        guard hex.utf8.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        let chars = Array(hex)
        let dashed = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
        self.init(uuidString: dashed)
    }
}
