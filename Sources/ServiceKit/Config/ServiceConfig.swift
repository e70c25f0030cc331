#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An app's configuration: Quart's `app.config`, a mapping of upper-case keys to values with Quart's defaults.
///
/// Sources are applied in the order you load them, later ones overriding earlier ones:
/// ```swift
/// var config = ServiceConfig()                       // Quart's defaults
/// try config.load(object: ProdSettings())            // a Swift value (`from_object`)
/// try config.load(file: "settings.yaml")             // JSON, YAML or TOML by extension (`from_file`)
/// try config.loadEnvironment(prefix: "TEAMS")        // TEAMS_DEBUG=true (`from_prefixed_env`)
/// ```
/// Every known key has a type; a value of the wrong type is rejected when it is loaded, with an error naming
/// the source, the key and the expected type. Extensions declare their own keys with ``declare(_:type:default:)``.
public struct ServiceConfig: Sendable {
    private var values: [String: JSONValue]
    private var types: [String: ConfigType]

    /// Quart's built-in keys, their types and defaults.
    public static let builtins: [(key: String, type: ConfigType, default: JSONValue)] = [
        ("APPLICATION_ROOT", .optional(.string), .null),
        ("BODY_TIMEOUT", .seconds, 60),
        ("DEBUG", .boolean, false),
        ("ENV", .string, "production"),
        ("JSONIFY_MIMETYPE", .string, "application/json"),
        ("JSONIFY_PRETTYPRINT_REGULAR", .boolean, false),
        ("JSON_AS_ASCII", .boolean, true),
        ("JSON_SORT_KEYS", .boolean, true),
        ("MAX_CONTENT_LENGTH", .optional(.integer), .int(16 * 1024 * 1024)),
        ("PERMANENT_SESSION_LIFETIME", .seconds, .int(31 * 24 * 3600)),
        ("PREFER_SECURE_URLS", .boolean, false),
        ("PROPAGATE_EXCEPTIONS", .optional(.boolean), .null),
        ("RESPONSE_TIMEOUT", .seconds, 60),
        ("SECRET_KEY", .optional(.string), .null),
        ("SECRET_KEY_FALLBACKS", .stringList, []),
        ("SEND_FILE_MAX_AGE_DEFAULT", .seconds, 43_200),
        ("SERVER_NAME", .optional(.string), .null),
        ("SESSION_COOKIE_DOMAIN", .optional(.string), .null),
        ("SESSION_COOKIE_HTTPONLY", .boolean, true),
        ("SESSION_COOKIE_NAME", .string, "session"),
        ("SESSION_COOKIE_PATH", .optional(.string), .null),
        ("SESSION_COOKIE_SAMESITE", .optional(.string), .null),
        ("SESSION_COOKIE_SECURE", .boolean, false),
        ("SESSION_REFRESH_EACH_REQUEST", .boolean, true),
        ("TEMPLATES_AUTO_RELOAD", .optional(.boolean), .null),
        ("TESTING", .boolean, false),
        ("TRAP_HTTP_EXCEPTIONS", .boolean, false),
    ]

    /// A configuration holding Quart's defaults.
    public init() {
        self.values = [:]
        self.types = [:]
        for builtin in Self.builtins {
            self.values[builtin.key] = builtin.default
            self.types[builtin.key] = builtin.type
        }
    }

    /// The value of `key`, or `nil` when unset. Setting a value is not type-checked: code is trusted.
    public subscript(key: String) -> JSONValue? {
        get { self.values[key] }
        set { self.values[key] = newValue }
    }

    /// All keys that have a value, sorted.
    public var keys: [String] { self.values.keys.sorted() }

    /// Declares a key, as an extension does for its settings: its type, and its default unless already set.
    public mutating func declare(_ key: String, type: ConfigType, default value: JSONValue) {
        self.types[key] = type
        if self.values[key] == nil { self.values[key] = value }
    }

    // MARK: Sources

    /// Merges `values` from `source`, checking each known key's type. Nothing is merged if any key is wrong.
    public mutating func merge(_ values: [String: JSONValue], source: String = "code") throws(ConfigError) {
        try self.merge(values, source: source, lines: [:])
    }

    private mutating func merge(
        _ values: [String: JSONValue],
        source: String,
        lines: [String: Int]
    ) throws(ConfigError) {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            if let type = self.types[key], !type.accepts(value) {
                throw ConfigError(
                    source: source, key: key, line: lines[key],
                    reason: "expected \(type), found \(value.typeName) \(Self.preview(value))"
                )
            }
        }
        self.values.merge(values) { _, new in new }
    }

    /// Merges the stored properties of a Swift value (Quart's `from_object`), e.g. a `struct` whose property
    /// names are the keys.
    public mutating func load(object: some Encodable) throws(ConfigError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: JSONEncoder().encode(object))
        } catch {
            throw ConfigError(source: "code", reason: "\(type(of: object)) does not encode to keys and values: \(error)")
        }
        guard case .object(let members) = value else {
            throw ConfigError(source: "code", reason: "\(type(of: object)) must encode to keys and values, not a \(value.typeName)")
        }
        try self.merge(members, source: "code")
    }

    /// Loads a JSON (`.json`), YAML (`.yaml`, `.yml`) or TOML (`.toml`) file whose top level is a mapping.
    public mutating func load(file path: String) throws(ConfigError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(source: path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        let value: JSONValue
        var lines: [String: Int] = [:]
        let lowercased = path.lowercased()
        do {
            if lowercased.hasSuffix(".json") {
                value = try JSONValue(parsing: Array(text.utf8))
            } else if lowercased.hasSuffix(".yaml") || lowercased.hasSuffix(".yml") {
                (value, lines) = try JSONValue.parseYAML(text)
            } else if lowercased.hasSuffix(".toml") {
                value = try JSONValue.parseTOML(text)
            } else {
                throw ConfigError(source: path, reason: "unknown file type; use .json, .yaml, .yml or .toml")
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(source: path, reason: "not valid: \(error)")
        }
        guard case .object(let members) = value else {
            throw ConfigError(source: path, reason: "the top level must be a mapping of keys to values, not a \(value.typeName)")
        }
        try self.merge(members, source: path, lines: lines)
    }

    /// Loads environment variables named `PREFIX_KEY` as key `KEY` (Flask's `from_prefixed_env`).
    ///
    /// Each value is read as JSON when it parses (`true`, `42`, `["a"]`), and as a plain string otherwise or
    /// when the key is declared as a string.
    public mutating func loadEnvironment(
        prefix: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) {
        let fullPrefix = prefix.hasSuffix("_") ? prefix : prefix + "_"
        var members: [String: JSONValue] = [:]
        for (name, raw) in environment where name.hasPrefix(fullPrefix) && name.count > fullPrefix.count {
            let key = String(name.dropFirst(fullPrefix.count))
            let parsed = try? JSONValue(parsing: Array(raw.utf8))
            let wantsString = self.types[key].map { $0 == .string || $0 == .optional(.string) } ?? false
            members[key] = wantsString || parsed == nil ? .string(raw) : parsed
        }
        try self.merge(members, source: "environment (\(fullPrefix)*)")
    }

    // MARK: Typed access

    /// The string at `key`, or `nil` when unset, null or not a string.
    public func string(_ key: String) -> String? { self.values[key]?.stringValue }
    /// The integer at `key`, or `nil`.
    public func int(_ key: String) -> Int? { self.values[key]?.intValue }
    /// The number at `key`, or `nil`.
    public func double(_ key: String) -> Double? { self.values[key]?.doubleValue }
    /// The boolean at `key`, or `nil`.
    public func bool(_ key: String) -> Bool? { self.values[key]?.boolValue }

    /// `DEBUG`: error responses name the error's type and message.
    public var debug: Bool { self.bool("DEBUG") ?? false }
    /// `TESTING`.
    public var testing: Bool { self.bool("TESTING") ?? false }
    /// `SECRET_KEY`: signs session cookies; sessions are read-only (always empty) without it.
    public var secretKey: String? { self.string("SECRET_KEY") }
    /// `MAX_CONTENT_LENGTH`: the largest request body accepted, in bytes; `nil` for no limit.
    public var maxContentLength: Int? { self.int("MAX_CONTENT_LENGTH") }
    /// `PERMANENT_SESSION_LIFETIME` in seconds: the session cookie's maximum age.
    public var permanentSessionLifetime: TimeInterval { self.double("PERMANENT_SESSION_LIFETIME") ?? 31 * 24 * 3600 }
    /// `JSON_SORT_KEYS`.
    public var jsonSortKeys: Bool { self.bool("JSON_SORT_KEYS") ?? true }

    private static func preview(_ value: JSONValue) -> String {
        let text = String(decoding: value.serialized(), as: UTF8.self)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
