/// Makes request ids without a system call or formatting per request: a random 64-bit prefix chosen once, and
/// a counter, both in hex (`3f9c2e4b1a7d5e60-1a2b`). Unique per generator; each event loop owns one.
public struct RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private var counter: UInt64 = 0

    /// A generator with a random prefix.
    public init() {
        self.init(prefix: UInt64.random(in: 0...UInt64.max))
    }

    /// A generator with a given prefix (for tests).
    public init(prefix: UInt64) {
        self.prefix = prefix
    }

    /// The next id.
    ///
    /// The digits are written straight into the string's storage: an id is made for every request, and building
    /// it from byte arrays cost four allocations where this costs the string's one.
    public mutating func next() -> String {
        self.counter &+= 1
        let counterDigits = max(4, Self.hexDigits(self.counter))
        return String(unsafeUninitializedCapacity: 17 + counterDigits) { buffer in
            Self.writeHex(self.prefix, digits: 16, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<16]))
            buffer[16] = UInt8(ascii: "-")
            Self.writeHex(self.counter, digits: counterDigits, into: UnsafeMutableBufferPointer(rebasing: buffer[17...]))
            return 17 + counterDigits
        }
    }

    /// How many hex digits `value` needs (at least one).
    private static func hexDigits(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 3) / 4)
    }

    /// `value` in lowercase hex, right-aligned in `digits` characters with leading zeros.
    private static func writeHex(_ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        var rest = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xF)
            buffer[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            rest >>= 4
        }
    }
}
