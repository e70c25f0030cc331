#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A value stored in a session: JSON plus the extra types Flask's tagged JSON carries through a cookie
/// (tuple, bytes, datetime, UUID and Markup), so that both frameworks read the same cookie the same way.
public indirect enum SessionValue: Sendable, Hashable {
    /// `None`.
    case null
    /// A boolean.
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A float.
    case double(Double)
    /// A string.
    case string(String)
    /// A list.
    case array([SessionValue])
    /// A dict with string keys.
    case object([String: SessionValue])
    /// A Python tuple (tag `" t"`).
    case tuple([SessionValue])
    /// Python `bytes` (tag `" b"`).
    case bytes([UInt8])
    /// A `datetime`, at whole-second precision as Flask's HTTP-date tag keeps it (tag `" d"`).
    case date(Date)
    /// A `uuid.UUID` (tag `" u"`).
    case uuid(UUID)
    /// `markupsafe.Markup`: HTML that must not be escaped again (tag `" m"`).
    case markup(String)

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, when this is an integer.
    public var intValue: Int? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The elements, when this is an array or a tuple.
    public var arrayValue: [SessionValue]? {
        switch self {
        case .array(let values), .tuple(let values): values
        default: nil
        }
    }
}

extension SessionValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: SessionValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, SessionValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
