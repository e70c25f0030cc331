/// Makes request ids without a system call or formatting per request: a random 64-bit prefix chosen once, and
/// a counter, both in hex (`3f9c2e4b1a7d5e60-1a2b`). Unique per generator; each event loop owns one.
public struct RequestIDGenerator: Sendable {
    private let prefix: [UInt8]
    private var counter: UInt64 = 0

    /// A generator with a random prefix.
    public init() {
        self.init(prefix: UInt64.random(in: 0...UInt64.max))
    }

    /// A generator with a given prefix (for tests).
    public init(prefix: UInt64) {
        self.prefix = Self.hex(prefix, minimumDigits: 16)
    }

    /// The next id.
    public mutating func next() -> String {
        self.counter &+= 1
        return String(decoding: self.prefix + [UInt8(ascii: "-")] + Self.hex(self.counter, minimumDigits: 4), as: UTF8.self)
    }

    static func hex(_ value: UInt64, minimumDigits: Int) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        var rest = value
        repeat {
            output.append(digits[Int(rest & 0xF)])
            rest >>= 4
        } while rest != 0
        while output.count < minimumDigits { output.append(UInt8(ascii: "0")) }
        return output.reversed()
    }
}
