import Synchronization

/// Requests in flight per key, for concurrency policies.
public final class InFlightCounter: Sendable {
    private let counts = Mutex<[BucketKey: Int]>([:])

    /// Creates an empty counter.
    public init() {}

    /// Takes a slot under `bucket` if fewer than `limit` are held; returns whether it did and how many are held.
    public func acquire(_ bucket: BucketKey, limit: Int) -> (acquired: Bool, held: Int) {
        self.counts.withLock { counts in
            let held = counts[bucket, default: 0]
            guard held < limit else { return (false, held) }
            counts[bucket] = held + 1
            return (true, held + 1)
        }
    }

    /// Gives a slot back; keys with no request in flight are forgotten.
    public func release(_ bucket: BucketKey) {
        self.counts.withLock { counts in
            let held = counts[bucket, default: 0]
            counts[bucket] = held > 1 ? held - 1 : nil
        }
    }

    /// Slots held under `bucket`.
    public func held(_ bucket: BucketKey) -> Int { self.counts.withLock { $0[bucket, default: 0] } }
}
