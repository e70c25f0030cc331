import Synchronization

/// Server-side per-user data with a time to live: the seed's "volatile key-value storage for each user",
/// for caching what would otherwise be looked up on every request (profile, permissions, ...).
///
/// Keyed by the authenticated user's identity, never by anything the client can choose freely. Entries expire
/// `ttl` seconds after they were stored; at most `capacity` users are kept, the entry closest to expiry
/// being evicted first.
public final class SessionCache<Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: Double
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Double
    private let capacity: Int
    private let now: @Sendable () -> Double

    /// Creates a cache.
    ///
    /// - Parameters:
    ///   - ttl: seconds an entry lives.
    ///   - capacity: the most users kept.
    ///   - now: the clock, in seconds; injectable so tests control time.
    public init(ttl: Double, capacity: Int = 10_000, now: @escaping @Sendable () -> Double = SessionCache.monotonicSeconds) {
        precondition(ttl > 0 && capacity > 0, "SessionCache needs a positive ttl and capacity")
        self.ttl = ttl
        self.capacity = capacity
        self.now = now
    }

    /// The cached value for `user`, unless absent or expired.
    public func value(for user: String) -> Value? {
        let now = self.now()
        return self.entries.withLock { entries in
            guard let entry = entries[user] else { return nil }
            if entry.expires <= now {
                entries[user] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Stores `value` for `user` for `ttl` seconds from now.
    public func set(_ value: Value, for user: String) {
        let now = self.now()
        self.entries.withLock { entries in
            if entries[user] == nil, entries.count >= self.capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= self.capacity, let soonest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                    entries[soonest.key] = nil
                }
            }
            entries[user] = Entry(value: value, expires: now + self.ttl)
        }
    }

    /// The cached value for `user`, or the result of `load`, which is then cached.
    ///
    /// Two concurrent misses for the same user may both call `load`; the later result wins.
    public func value(for user: String, orLoad load: () async throws -> Value) async rethrows -> Value {
        if let cached = self.value(for: user) { return cached }
        let value = try await load()
        self.set(value, for: user)
        return value
    }

    /// Forgets `user` (after a logout or a change to what is cached).
    public func remove(_ user: String) {
        _ = self.entries.withLock { $0.removeValue(forKey: user) }
    }

    /// How many entries are held, expired ones included until they are touched or evicted.
    public var count: Int { self.entries.withLock { $0.count } }

    /// Seconds on a monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.now - Self.origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private static var origin: ContinuousClock.Instant { processStart }
}

private let processStart = ContinuousClock.now
