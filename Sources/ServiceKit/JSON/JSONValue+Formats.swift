import TOMLKit
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONValue {
    /// Converts a YAML node, honouring YAML's own typing (`"8080"` quoted stays a string, `8080` is an integer).
    public init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: self = node.int.map(JSONValue.int) ?? .string(scalar.string)
            case .float: self = node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .array(sequence.map(JSONValue.init(yaml:)))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? "\(key)"] = JSONValue(yaml: value) }
            self = .object(members)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one carries no value.
            self = .null
        }
    }

    /// Parses YAML text into a value and the source line of each top-level key (for error messages).
    static func parseYAML(_ text: String) throws -> (value: JSONValue, lines: [String: Int]) {
        guard let node = try Yams.compose(yaml: text) else { return (.object([:]), [:]) }
        var lines: [String: Int] = [:]
        for (key, _) in node.mapping ?? [:] {
            if let name = key.string, let line = key.mark?.line { lines[name] = line }
        }
        return (JSONValue(yaml: node), lines)
    }

    /// Parses TOML text (through toml++, which reports the line and column of a syntax error).
    static func parseTOML(_ text: String) throws -> JSONValue {
        let json = try TOMLTable(string: text).convert(to: .json)
        return try JSONValue(parsing: Array(json.utf8))
    }
}
