import NIOCore

/// A request's id: one the proxy made (a generator's prefix and counter, as numbers until they are needed as
/// text), or one a trusted peer sent.
///
/// The proxy writes a made id's digits straight into the backend's request head; the text is only built for
/// an answer or a log line that names the id. So a request that passes makes no string for it.
public enum ProxyRequestID: Sendable, Hashable, CustomStringConvertible {
    /// Made by a ``RequestIDGenerator``: `prefix` and `counter` in hex, as `3f9c2e4b1a7d5e60-1a2b`.
    case made(prefix: UInt64, counter: UInt64)
    /// Sent by a trusted peer and kept as it is.
    case kept(String)

    /// The id as text.
    public var description: String {
        switch self {
        case .kept(let id):
            return id
        case .made(let prefix, let counter):
            return String(unsafeUninitializedCapacity: Self.length(counter: counter)) { buffer in
                Self.writeDigits(prefix: prefix, counter: counter, into: UnsafeMutableRawBufferPointer(buffer))
            }
        }
    }

    /// The length of the id's text in bytes.
    var utf8Count: Int {
        switch self {
        case .kept(let id): return id.utf8.count
        case .made(_, let counter): return Self.length(counter: counter)
        }
    }

    /// Appends the id's text to a head being written.
    func write(into writer: inout HeadWriter) {
        switch self {
        case .kept(let id):
            writer.append(id)
        case .made(let prefix, let counter):
            writer.append(upTo: Self.length(counter: counter)) { bytes in
                Self.writeDigits(prefix: prefix, counter: counter, into: bytes)
            }
        }
    }

    /// Sixteen digits of prefix, the dash, and the counter in at least four digits.
    private static func length(counter: UInt64) -> Int {
        17 + Self.counterDigits(counter)
    }

    private static func counterDigits(_ counter: UInt64) -> Int {
        max(4, (64 - counter.leadingZeroBitCount + 3) / 4)
    }

    /// Writes the text at the start of `bytes`, which has room for it; returns its length.
    private static func writeDigits(prefix: UInt64, counter: UInt64, into bytes: UnsafeMutableRawBufferPointer) -> Int {
        let digits = Self.counterDigits(counter)
        Self.writeHex(prefix, digits: 16, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<16]))
        bytes[16] = UInt8(ascii: "-")
        Self.writeHex(counter, digits: digits, into: UnsafeMutableRawBufferPointer(rebasing: bytes[17..<17 + digits]))
        return 17 + digits
    }

    /// `value` in lowercase hex, right-aligned in `digits` characters with leading zeros.
    private static func writeHex(_ value: UInt64, digits: Int, into bytes: UnsafeMutableRawBufferPointer) {
        var rest = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xF)
            bytes[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            rest >>= 4
        }
    }
}
