/// Decides, for each request, whether the configured policies let it pass, and takes its tokens.
///
/// A request matching several policies passes only if every enforced one allows it; then it takes tokens from
/// all of them, and when one refuses, it takes none. Shadow policies never refuse: their would-be refusals
/// are reported in the decision.
public final class RateLimiter: Sendable {
    /// The policies, in the order they are evaluated and reported.
    public let policies: [RateLimitPolicy]
    private let namespaces: [String]
    /// Per policy: whether it applies to every request and counts it by the client address as it is, so a
    /// decision needs neither its match nor its key parts.
    private let keyedByAddressAlone: [Bool]
    /// Whether every policy is a token bucket, so a request that one policy applies to needs no plan.
    private let onlyTokenBuckets: Bool
    /// Whether the only policy is a token bucket keyed by the whole client address for every request (the common
    /// per-client limit), so a decision goes straight to its bucket.
    private let onlyAddressBucket: Bool
    /// What a decision needs of each policy (all of it for a token bucket, the namespace for a concurrency
    /// policy), unpacked once so the hot path copies no policy.
    /// (Not optional: fields of an element are read in place, where an optional would be copied out first.)
    private let tokenSpecs: [TokenSpec]

    private struct TokenSpec {
        /// False for a concurrency policy, whose spec holds only its namespace.
        let isTokenBucket: Bool
        let name: String
        let rate: Rate
        let perSecond: Double
        let burst: Double
        let cost: Double
        let enforced: Bool
        let namespaceHash: Int
        /// The namespace's number in the local tables (``LocalBucketStore/namespaceID(_:)``).
        let namespaceID: Int
    }
    private let buckets: LocalBucketStore
    private let inFlight: InFlightCounter

    /// Creates a limiter over `policies`, keeping token buckets in `buckets`.
    ///
    /// Pass the same store to the limiter built from a reloaded rule set so unchanged policies keep their buckets.
    public init(policies: [RateLimitPolicy], buckets: LocalBucketStore = LocalBucketStore(), inFlight: InFlightCounter = InFlightCounter()) {
        self.policies = policies
        self.namespaces = policies.map { policy in
            switch policy.limit {
            case .tokenBucket(let rate, let burst, let cost): "\(policy.name)#\(rate)/\(burst)/\(cost)"
            case .concurrency(let limit): "\(policy.name)#c\(limit)"
            }
        }
        self.keyedByAddressAlone = policies.map { $0.match.isEmpty && $0.key == [.clientAddress()] }
        self.onlyTokenBuckets = policies.allSatisfy { if case .tokenBucket = $0.limit { true } else { false } }
        self.onlyAddressBucket = self.onlyTokenBuckets && self.keyedByAddressAlone == [true]
        self.tokenSpecs = zip(policies, self.namespaces).map { policy, namespace in
            let (hash, id) = (namespace.hashValue, LocalBucketStore.namespaceID(namespace))
            guard case .tokenBucket(let rate, let burst, let cost) = policy.limit else {
                return TokenSpec(isTokenBucket: false, name: policy.name, rate: Rate(count: 1, window: 1), perSecond: 1, burst: 1, cost: 1,
                                 enforced: false, namespaceHash: hash, namespaceID: id)
            }
            return TokenSpec(isTokenBucket: true, name: policy.name, rate: rate, perSecond: rate.perSecond, burst: Double(burst),
                             cost: Double(cost), enforced: policy.mode == .enforce, namespaceHash: hash, namespaceID: id)
        }
        self.buckets = buckets
        self.inFlight = inFlight
    }

    /// Whether any policy keys on a cookie, so a caller can skip parsing cookies when none does.
    public var readsCookies: Bool {
        self.policies.contains { $0.key.contains { if case .cookie = $0 { true } else { false } } }
    }

    /// A limiter over `policies` that shares this one's stores, for a reload: the buckets of policies that did
    /// not change (same name, rate, burst and cost) keep their tokens, and slots held by requests in flight
    /// are released into the same counters.
    public func reloaded(policies: [RateLimitPolicy]) -> RateLimiter {
        RateLimiter(policies: policies, buckets: self.buckets, inFlight: self.inFlight)
    }

    /// What one request asks of the stores: its bucket operations and concurrency slots, by policy.
    public struct Plan: Sendable {
        /// The token-bucket operations, for ``LocalBucketStore/decide(_:)`` or a shared store.
        public let takes: [LocalBucketStore.Take]
        fileprivate let tokenPolicies: [(index: Int, rate: Rate)]
        fileprivate let concurrency: [(index: Int, bucket: BucketKey, limit: Int)]

        /// Whether no policy applies.
        public var isEmpty: Bool { self.takes.isEmpty && self.concurrency.isEmpty }
    }

    /// Decides `request` against the local store. Concurrency slots taken by an allowed request must be
    /// released with ``release(_:)``.
    public func check(_ request: borrowing RateLimitRequest) -> RateLimitDecision {
        if self.onlyAddressBucket { return self.decide(policy: 0, key: request.clientAddress) }
        if self.onlyTokenBuckets, let decision = self.checkSingle(request) { return decision }
        let plan = self.plan(request)
        return self.finish(plan, outcomes: plan.takes.isEmpty ? [] : self.buckets.decide(plan.takes))
    }

    /// The common case without intermediate arrays: at most one token-bucket policy applies. `nil` when more do.
    private func checkSingle(_ request: borrowing RateLimitRequest) -> RateLimitDecision? {
        var found = -1
        var foundKey = ""
        for index in self.policies.indices {
            let key: String?
            if self.keyedByAddressAlone[index] {
                key = request.clientAddress
            } else {
                key = self.policies[index].key(for: request)
            }
            guard let key else { continue }
            guard found < 0 else { return nil }
            (found, foundKey) = (index, key)
        }
        guard found >= 0 else { return RateLimitDecision(verdicts: [], permits: []) }
        guard self.tokenSpecs[found].isTokenBucket else { return nil }
        return self.decide(policy: found, key: foundKey)
    }

    /// The decision of token-bucket policy `index` alone, for a request it counts under `key`.
    @inline(__always)
    private func decide(policy index: Int, key: String) -> RateLimitDecision {
        let key = BucketTable.Key(
            hash: BucketHasher.process.hash(key, namespaceHash: self.tokenSpecs[index].namespaceHash),
            namespace: self.tokenSpecs[index].namespaceID, key: key
        )
        let outcome = self.buckets.decide(
            key, ratePerSecond: self.tokenSpecs[index].perSecond, burst: self.tokenSpecs[index].burst, cost: self.tokenSpecs[index].cost,
            blocking: self.tokenSpecs[index].enforced
        )
        return RateLimitDecision(verdict: self.verdict(index, outcome))
    }

    /// The verdict of token-bucket policy `index`.
    @inline(__always)
    private func verdict(_ index: Int, _ outcome: LocalBucketStore.Outcome) -> RateLimitDecision.Verdict {
        .init(
            policy: self.tokenSpecs[index].name, allowed: outcome.allowed, shadow: !self.tokenSpecs[index].enforced,
            quota: self.tokenSpecs[index].rate.count, window: self.tokenSpecs[index].rate.window,
            remaining: Self.wholeTokens(outcome.remaining),
            resetSeconds: Self.wholeSecondsUp(outcome.allowed ? outcome.resetAfter : outcome.retryAfter)
        )
    }

    /// Tokens rounded down, for `remaining` (never negative; a bucket holds at most its burst, an `Int`).
    @inline(__always)
    private static func wholeTokens(_ tokens: Double) -> Int { tokens > 0 ? Int(tokens) : 0 }

    /// Seconds rounded up, for the reset and retry times, without a call to `ceil` (which the x86-64 baseline
    /// cannot inline). A wait beyond what an `Int` holds (a rate near zero) is capped there.
    @inline(__always)
    private static func wholeSecondsUp(_ seconds: Double) -> Int {
        guard seconds > 0 else { return 0 }
        guard seconds < 9e18 else { return Int.max }
        let whole = Int(seconds)
        return Double(whole) < seconds ? whole + 1 : whole
    }

    /// The bucket operations and concurrency slots `request` needs: the first half of a decision, for a store
    /// that answers asynchronously (Redis).
    public func plan(_ request: borrowing RateLimitRequest) -> Plan {
        var takes: [LocalBucketStore.Take] = []
        var tokenPolicies: [(index: Int, rate: Rate)] = []
        var concurrency: [(index: Int, bucket: BucketKey, limit: Int)] = []
        for index in self.policies.indices {
            guard let key = self.policies[index].key(for: request) else { continue }
            let bucket = BucketKey(namespace: self.namespaces[index], namespaceHash: self.tokenSpecs[index].namespaceHash, key: key)
            switch self.policies[index].limit {
            case .tokenBucket(let rate, let burst, let cost):
                takes.append(.init(
                    bucket: bucket, namespaceID: self.tokenSpecs[index].namespaceID, ratePerSecond: rate.perSecond, burst: Double(burst),
                    cost: Double(cost), blocking: self.policies[index].mode == .enforce
                ))
                tokenPolicies.append((index, rate))
            case .concurrency(let limit):
                concurrency.append((index, bucket, limit))
            }
        }
        return Plan(takes: takes, tokenPolicies: tokenPolicies, concurrency: concurrency)
    }

    /// The second half of a decision: the store's `outcomes` (one per take, in order) become verdicts, and
    /// concurrency slots are taken if the request passes.
    public func finish(_ plan: Plan, outcomes: [LocalBucketStore.Outcome]) -> RateLimitDecision {
        precondition(outcomes.count == plan.takes.count, "a store must answer every take of a plan")
        guard !plan.isEmpty else { return RateLimitDecision(verdicts: [], permits: []) }
        var verdicts: [(index: Int, verdict: RateLimitDecision.Verdict)] = []
        verdicts.reserveCapacity(plan.takes.count + plan.concurrency.count)
        for ((index, _), outcome) in zip(plan.tokenPolicies, outcomes) {
            verdicts.append((index, self.verdict(index, outcome)))
        }
        return self.takeSlots(plan, after: verdicts)
    }

    /// The decision when the store could not answer: each policy's `on_store_error` says whether it lets the
    /// request through. The decision's ``RateLimitDecision/storeFailed`` is set so stats can count it.
    public func finish(_ plan: Plan, storeFailure: any Error) -> RateLimitDecision {
        var verdicts: [(index: Int, verdict: RateLimitDecision.Verdict)] = []
        for (index, rate) in plan.tokenPolicies {
            let policy = self.policies[index]
            let allowed = policy.onStoreError == .allow
            verdicts.append((index, .init(
                policy: policy.name, allowed: allowed, shadow: policy.mode == .shadow,
                quota: rate.count, window: rate.window, remaining: 0, resetSeconds: allowed ? 0 : 1
            )))
        }
        var decision = self.takeSlots(plan, after: verdicts)
        decision.storeFailed = true
        return decision
    }

    /// Concurrency slots are taken only when the token buckets let the request through.
    private func takeSlots(_ plan: Plan, after tokenVerdicts: [(index: Int, verdict: RateLimitDecision.Verdict)]) -> RateLimitDecision {
        guard !plan.concurrency.isEmpty else {
            // Token verdicts already come in policy order.
            return RateLimitDecision(verdicts: tokenVerdicts.map(\.verdict), permits: [])
        }
        var verdicts = tokenVerdicts
        var permits: [InFlightPermit] = []
        let tokensAllowed = !verdicts.contains { !$0.verdict.allowed && !$0.verdict.shadow }
        for (index, bucket, limit) in plan.concurrency {
            let policy = self.policies[index]
            let (acquired, held) = tokensAllowed ? self.inFlight.acquire(bucket, limit: limit) : (false, self.inFlight.held(bucket))
            if acquired { permits.append(InFlightPermit(bucket: bucket)) }
            verdicts.append((index, .init(
                policy: policy.name, allowed: acquired || !tokensAllowed, shadow: policy.mode == .shadow,
                quota: limit, window: 1, remaining: max(0, limit - held), resetSeconds: acquired ? 0 : 1
            )))
        }
        var decision = RateLimitDecision(verdicts: verdicts.sorted { $0.index < $1.index }.map(\.verdict), permits: permits)
        if !decision.allowed {
            // A refused request holds no slots.
            for permit in decision.permits { self.inFlight.release(permit.bucket) }
            decision.permits = []
        }
        return decision
    }

    /// Gives back the concurrency slots a finished request held.
    public func release(_ decision: RateLimitDecision) {
        for permit in decision.permits { self.inFlight.release(permit.bucket) }
    }
}
