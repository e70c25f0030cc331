import Yams

/// A rule or policy file that cannot be used: where (file:line:column) and what to do about it.
///
/// Every loader of human-edited files (firewall rules, rate-limit policies, the proxy's config) reports with this
/// type, so `rampart check` and a refused live reload print the same thing.
public struct RuleFileError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file.
    public let file: String
    /// 1-based line; 0 when the error is about the whole file.
    public let line: Int
    /// 1-based column; 0 when unknown.
    public let column: Int
    /// What is wrong and how to fix it.
    public let message: String

    /// An error at `line`:`column` of `file`.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// An error for the YAML parser's complaint about `file`.
    public init(file: String, yaml: YamlError) {
        switch yaml {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            self.init(file: file, line: mark.line, column: mark.column, message: "not valid YAML: \(problem)")
        default:
            self.init(file: file, line: 0, column: 0, message: "not valid YAML: \(yaml)")
        }
    }

    /// `file:line:column: message`.
    public var description: String { "\(self.file):\(self.line):\(self.column): \(self.message)" }
}
