/// Round-robin over an upstream's servers with passive health: a server whose connection failed is skipped
/// until its back-off ends. A value type owned by one event loop, so it needs no lock.
public struct ServerSelector: Sendable {
    private var next = 0
    /// When each server may be tried again (clock seconds); 0 when healthy.
    private(set) var retryAt: [Double]
    /// Seconds a failed server is skipped.
    public let backoff: Double

    /// The number of servers.
    public var count: Int { self.retryAt.count }

    /// A selector for `count` servers.
    public init(count: Int, backoff: Double) {
        self.retryAt = Array(repeating: 0, count: count)
        self.backoff = backoff
    }

    /// The next healthy server's index, skipping `excluding` (a server that just failed for this request);
    /// nil when every server is backing off.
    public mutating func pick(now: Double, excluding: Int? = nil) -> Int? {
        let count = self.retryAt.count
        for step in 0..<count {
            let index = (self.next + step) % count
            if index != excluding && self.retryAt[index] <= now {
                self.next = (index + 1) % count
                return index
            }
        }
        return nil
    }

    /// Records that connecting to `server` failed: skip it for the back-off period.
    public mutating func failed(_ server: Int, now: Double) {
        self.retryAt[server] = now + self.backoff
    }

    /// Records that `server` answered: it is healthy again.
    public mutating func succeeded(_ server: Int) {
        self.retryAt[server] = 0
    }

    /// Whether `server` is healthy at `now`.
    public func isHealthy(_ server: Int, now: Double) -> Bool {
        self.retryAt[server] <= now
    }
}
