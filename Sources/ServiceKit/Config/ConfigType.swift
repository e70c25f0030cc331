/// The type a configuration key must hold; values of another type are rejected when they are loaded.
public enum ConfigType: Sendable, Equatable, CustomStringConvertible {
    /// A string.
    case string
    /// A whole number.
    case integer
    /// Any number.
    case number
    /// `true` or `false`.
    case boolean
    /// A duration in seconds: an integer or a number.
    case seconds
    /// A list of strings.
    case stringList
    /// The wrapped type, or null.
    indirect case optional(ConfigType)
    /// Anything.
    case any

    /// Whether `value` fits this type.
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.any, _), (.string, .string), (.integer, .int), (.boolean, .bool): true
        case (.number, .int), (.number, .double), (.seconds, .int), (.seconds, .double): true
        case (.stringList, .array(let items)): items.allSatisfy { $0.stringValue != nil }
        case (.optional, .null): true
        case (.optional(let wrapped), _): wrapped.accepts(value)
        default: false
        }
    }

    public var description: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "a boolean (true or false)"
        case .seconds: "a number of seconds"
        case .stringList: "a list of strings"
        case .optional(let wrapped): "\(wrapped) or null"
        case .any: "any value"
        }
    }
}
