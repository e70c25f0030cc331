/// The rate limiter's answer for one request: each applicable policy's verdict and the overall one.
public struct RateLimitDecision: Sendable {
    /// One policy's verdict.
    public struct Verdict: Sendable, Equatable {
        /// The policy's name.
        public var policy: String
        /// Whether the policy let the request through (for a shadow policy: whether it would have).
        public var allowed: Bool
        /// Whether the policy is in shadow mode.
        public var shadow: Bool
        /// The quota: requests per window for a token bucket, the in-flight limit for a concurrency policy.
        public var quota: Int
        /// The window in seconds (1 for a concurrency policy).
        public var window: Int
        /// Requests left now.
        public var remaining: Int
        /// Seconds until the request could pass (when refused) or until the quota is whole again (when allowed),
        /// rounded up.
        public var resetSeconds: Int
    }

    /// The verdicts, kept without an array in the common case of one policy: a decision is made for every
    /// request, and an array would be a heap allocation each time.
    private enum Verdicts: Sendable {
        case one(Verdict)
        case many([Verdict])
    }

    private var storage: Verdicts

    /// The verdicts of the policies that applied, in policy order.
    public var verdicts: [Verdict] {
        get {
            switch self.storage {
            case .one(let verdict): [verdict]
            case .many(let verdicts): verdicts
            }
        }
        set { self.storage = .many(newValue) }
    }
    /// Concurrency slots this request holds; give them back with ``RateLimiter/release(_:)`` when it ends.
    public var permits: [InFlightPermit]
    /// Whether the bucket store failed and `on_store_error` decided instead.
    public var storeFailed = false

    /// Creates a decision.
    public init(verdicts: [Verdict], permits: [InFlightPermit]) {
        self.storage = .many(verdicts)
        self.permits = permits
    }

    /// A decision of one policy without concurrency slots.
    public init(verdict: Verdict) {
        self.storage = .one(verdict)
        self.permits = []
    }

    /// Whether the request may go on: no enforced policy refused it.
    public var allowed: Bool { self.rejection == nil }

    /// The enforced policy that refused the request, if any.
    public var rejection: Verdict? {
        switch self.storage {
        case .one(let verdict): !verdict.allowed && !verdict.shadow ? verdict : nil
        case .many(let verdicts): verdicts.first { !$0.allowed && !$0.shadow }
        }
    }

    /// Shadow policies that would have refused the request.
    public var shadowRejections: [Verdict] {
        switch self.storage {
        case .one(let verdict): !verdict.allowed && verdict.shadow ? [verdict] : []
        case .many(let verdicts): verdicts.filter { !$0.allowed && $0.shadow }
        }
    }

    /// Seconds the client should wait before retrying, when refused.
    public var retryAfter: Int? { self.rejection.map { max(1, $0.resetSeconds) } }
}

/// A concurrency slot held by a request in flight.
public struct InFlightPermit: Sendable, Hashable {
    /// The policy's bucket for the request.
    public let bucket: BucketKey
}
