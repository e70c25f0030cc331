/// One token bucket: it holds at most `burst` tokens, refills continuously at the rate, and a request takes
/// `cost` tokens or is refused. A pure value; the stores decide where buckets live and how they are locked.
///
/// A bucket that has refilled to `burst` behaves exactly like a new one, so a store may forget it.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens held at ``updated``.
    public private(set) var tokens: Double
    /// When ``tokens`` was last brought up to date, in seconds on the store's clock.
    public private(set) var updated: Double

    /// A full bucket at time `now`.
    public init(burst: Double, now: Double) {
        self.tokens = burst
        self.updated = now
    }

    /// The tokens the bucket holds at `now`.
    public func available(at now: Double, ratePerSecond: Double, burst: Double) -> Double {
        min(burst, self.tokens + max(0, now - self.updated) * ratePerSecond)
    }

    /// Whether the bucket holds `burst` tokens at `now` (and so can be forgotten).
    public func isFull(at now: Double, ratePerSecond: Double, burst: Double) -> Bool {
        self.available(at: now, ratePerSecond: ratePerSecond, burst: burst) >= burst
    }

    /// Whether `cost` tokens are available at `now`.
    ///
    /// A billionth of a token of slack absorbs floating-point error, so a token that arrives at the exact moment
    /// of a request counts.
    public func has(_ cost: Double, at now: Double, ratePerSecond: Double, burst: Double) -> Bool {
        self.available(at: now, ratePerSecond: ratePerSecond, burst: burst) + Self.slack >= cost
    }

    private static let slack = 1e-9

    /// Refills to `now`, then takes `cost` tokens if there are enough.
    ///
    /// - Returns: whether the tokens were taken.
    public mutating func take(_ cost: Double, at now: Double, ratePerSecond: Double, burst: Double) -> Bool {
        self.tokens = self.available(at: now, ratePerSecond: ratePerSecond, burst: burst)
        self.updated = max(self.updated, now)
        guard self.tokens + Self.slack >= cost else { return false }
        self.tokens = max(0, self.tokens - cost)
        return true
    }

    /// Seconds until `cost` tokens are available (0 when they are now).
    public func secondsUntil(_ cost: Double, at now: Double, ratePerSecond: Double, burst: Double) -> Double {
        let missing = cost - self.available(at: now, ratePerSecond: ratePerSecond, burst: burst)
        return missing <= Self.slack ? 0 : missing / ratePerSecond
    }
}
