/// A configuration source could not be used: the file is missing or malformed, or a key has the wrong type.
///
/// The message names the source (file path, `environment` or `code`), the key and what was expected, so the
/// service fails at start with something a person can fix.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Where the value came from: a file path, `environment (PREFIX_)`, or `code`.
    public let source: String
    /// The offending key, when the error is about one key.
    public let key: String?
    /// The line in `source`, when known.
    public let line: Int?
    /// What is wrong and what to do.
    public let reason: String

    init(source: String, key: String? = nil, line: Int? = nil, reason: String) {
        self.source = source
        self.key = key
        self.line = line
        self.reason = reason
    }

    public var description: String {
        var location = self.source
        if let line { location += ":\(line)" }
        if let key { return "\(location): \(key): \(self.reason)" }
        return "\(location): \(self.reason)"
    }
}
