import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads YAML nodes of one file into typed values, turning every mistake into a ``RuleFileError`` at the node's
/// line and column.
///
/// Loaders use it so that an unknown field, a wrong type or an out-of-range number is refused with the same
/// wording everywhere, instead of being ignored.
public struct YAMLReader: Sendable {
    /// The file being read, named in errors.
    public let file: String

    /// A reader for `file`.
    public init(file: String) {
        self.file = file
    }

    /// Reads the file at `path` and composes its YAML; nil for an empty document.
    public static func load(path: String) throws(RuleFileError) -> (YAMLReader, Node?) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RuleFileError(file: path, line: 0, column: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        let reader = YAMLReader(file: path)
        return (reader, try reader.compose(text))
    }

    /// Composes `text` as YAML; nil for an empty document.
    public func compose(_ text: String) throws(RuleFileError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw RuleFileError(file: self.file, yaml: error)
        } catch {
            throw RuleFileError(file: self.file, line: 0, column: 0, message: "not valid YAML: \(error)")
        }
    }

    /// An error located at `node`.
    public func error(_ node: Node, _ message: String) -> RuleFileError {
        RuleFileError(file: self.file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message: message)
    }

    /// A mapping with string keys from `allowed`; an unknown key is an error naming the allowed ones.
    ///
    /// With `extensions`, keys starting with `x-` are skipped: they hold YAML anchors (`x-targets: &inputs [...]`)
    /// that the rest of the file refers to, as in compose files.
    public func mapping(_ node: Node, allowed: [String], what: String, extensions: Bool = false) throws(RuleFileError) -> [String: Node] {
        guard let mapping = node.mapping else { throw self.error(node, "\(what) must be a mapping of keys to values") }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            if extensions, key.string?.hasPrefix("x-") == true { continue }
            guard let name = key.string, allowed.contains(name) else {
                throw self.error(key, "unknown field \"\(key.string ?? "?")\" in \(what); expected one of: \(allowed.joined(separator: ", "))")
            }
            result[name] = value
        }
        return result
    }

    /// A non-empty string scalar.
    public func string(_ node: Node, _ field: String) throws(RuleFileError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw self.error(node, "\(field) must be a non-empty string") }
        return scalar.string
    }

    /// A whole number of at least `minimum`.
    public func int(_ node: Node, _ field: String, minimum: Int) throws(RuleFileError) -> Int {
        guard let value = node.int, value >= minimum else { throw self.error(node, "\(field) must be a whole number of at least \(minimum)") }
        return value
    }

    /// `true` or `false`.
    public func bool(_ node: Node, _ field: String) throws(RuleFileError) -> Bool {
        guard let value = node.bool else { throw self.error(node, "\(field) must be true or false") }
        return value
    }

    /// A list; a single scalar counts as a list of one when `allowScalar` is set.
    public func list(_ node: Node, _ field: String, allowScalar: Bool = false) throws(RuleFileError) -> [Node] {
        if let items = node.sequence { return Array(items) }
        if allowScalar, node.scalar != nil { return [node] }
        throw self.error(node, "\(field) must be a list, e.g. [a, b]")
    }

    /// A list of non-empty strings (a single string is a list of one).
    public func strings(_ node: Node, _ field: String) throws(RuleFileError) -> [String] {
        var result: [String] = []
        for item in try self.list(node, field, allowScalar: true) {
            result.append(try self.string(item, "each entry of \(field)"))
        }
        return result
    }

    /// One of `all`'s raw values, or `value` when the node is absent.
    public func choice<Value: RawRepresentable<String>>(_ node: Node?, _ field: String, default value: Value, _ all: [Value]) throws(RuleFileError) -> Value {
        guard let node else { return value }
        guard let text = node.string, let choice = Value(rawValue: text) else {
            throw self.error(node, "\(field) must be one of: \(all.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}
