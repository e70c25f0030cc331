/// A value of the Redis serialization protocol (RESP2).
public enum RESPValue: Sendable, Equatable {
    /// A status reply such as `OK`.
    case simpleString(String)
    /// An error reply, e.g. `NOSCRIPT No matching script`.
    case error(String)
    /// An integer reply.
    case integer(Int)
    /// A bulk string; `nil` is RESP's null bulk string.
    case bulkString([UInt8]?)
    /// An array; `nil` is RESP's null array.
    case array([RESPValue]?)

    /// The value as text, for simple and bulk strings.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}
