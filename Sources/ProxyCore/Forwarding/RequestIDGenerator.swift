/// Makes request ids without a system call or formatting per request: a random 64-bit prefix chosen once, and
/// a counter (``ProxyRequestID/made(prefix:counter:)``). Unique per generator; each event loop owns one.
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
    public mutating func next() -> ProxyRequestID {
        self.counter &+= 1
        return .made(prefix: self.prefix, counter: self.counter)
    }
}
