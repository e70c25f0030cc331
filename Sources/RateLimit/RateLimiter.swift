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
                return TokenSpec(name: policy.name, rate: Rate(count: 1, window: 1), perSecond: 1, burst: 1, cost: 1,
                                 enforced: false, namespaceHash: hash, namespaceID: id)
            }
            return TokenSpec(name: policy.name, rate: rate, perSecond: rate.perSecond, burst: Double(burst),
                             cost: Double(cost), enforced: policy.mode == .enforce, namespaceHash: hash, namespaceID: id)
        }
        self.buckets = buckets
        self.inFlight = inFlight
    }

    /// Whether any policy keys on a cookie, so a caller can skip parsing cookies when none does.
    public var readsCookies: Bool {
        self.keysOn { if case .cookie = $0 { true } else { false } }
    }

    /// Whether any policy keys on a header field, so a caller can leave a request's fields out when none does.
    public var readsHeaders: Bool {
        self.keysOn { if case .header = $0 { true } else { false } }
    }

    private func keysOn(_ kind: (KeyPart) -> Bool) -> Bool {
        self.policies.contains { $0.key.contains(where: kind) }
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
        self.decide(self.route(request)) { self.checkPlanned(request) }
    }

    /// A request whose bucket is on its way from memory: made by ``prepare(_:)``, decided by ``check(prepared:)``.
    public struct PreparedRequest: Sendable {
        fileprivate let route: Route
        fileprivate let request: RateLimitRequest
    }

    /// The first half of ``check(_:)``: finds the request's bucket and starts loading it from memory.
    ///
    /// With many distinct clients, a decision mostly waits for its bucket to arrive from memory (about 200 ns on
    /// the project's benchmark machine at a million keys). Work done between this and ``check(prepared:)`` (the
    /// proxy rewrites the request's headers) overlaps that wait.
    public func prepare(_ request: consuming RateLimitRequest) -> PreparedRequest {
        let route = self.route(request)
        if case .bucket(_, let key) = route { self.buckets.prefetch(key) }
        return PreparedRequest(route: route, request: request)
    }

    /// Decides a request from ``prepare(_:)`` exactly as ``check(_:)`` would have.
    public func check(prepared: borrowing PreparedRequest) -> RateLimitDecision {
        self.decide(prepared.route) { self.checkPlanned(prepared.request) }
    }

    /// Decides `requests` in order, each exactly as ``check(_:)`` would, one after another.
    ///
    /// Every request's bucket is found and prefetched before the first is decided, so that their waits for
    /// memory overlap (see ``prepare(_:)``).
    public func check(batch requests: [RateLimitRequest]) -> [RateLimitDecision] {
        requests.withUnsafeBufferPointer { requests in
            guard let first = requests.baseAddress else { return [] }
            var routes: [Route] = []
            routes.reserveCapacity(requests.count)
            for index in requests.indices {
                // A request lent from memory the compiler cannot prove unchanging is copied whole for the call
                // (its strings, headers and cookies retained and released), so the common policy reads its one field.
                let route = self.onlyAddressBucket
                    ? .bucket(policy: 0, key: self.bucketKey(policy: 0, (first + index).pointee.clientAddress))
                    : self.route((first + index).pointee)
                if case .bucket(_, let key) = route { self.buckets.prefetch(key) }
                routes.append(route)
            }
            var decisions: [RateLimitDecision] = []
            decisions.reserveCapacity(requests.count)
            for index in requests.indices {
                decisions.append(self.decide(routes[index]) { self.checkPlanned((first + index).pointee) })
            }
            return decisions
        }
    }

    /// The decision on a routed request; `planned` decides one that needs a plan.
    @inline(__always)
    private func decide(_ route: borrowing Route, planned: () -> RateLimitDecision) -> RateLimitDecision {
        switch route {
        case .noPolicy: RateLimitDecision(verdicts: [], permits: [])
        case .bucket(let policy, let key): self.decide(policy: policy, key: key)
        case .plan: planned()
        }
    }

    /// How a request is decided.
    fileprivate enum Route: Sendable {
        /// No policy applies.
        case noPolicy
        /// One token-bucket policy applies (the common case), decided straight at its bucket, without a plan's
        /// intermediate arrays.
        case bucket(policy: Int, key: BucketTable.Key)
        /// Several policies, or a concurrency policy: a plan.
        case plan
    }

    @inline(__always)
    private func route(_ request: borrowing RateLimitRequest) -> Route {
        if self.onlyAddressBucket { return .bucket(policy: 0, key: self.bucketKey(policy: 0, request.clientAddress)) }
        guard self.onlyTokenBuckets else { return .plan }
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
            guard found < 0 else { return .plan }
            (found, foundKey) = (index, key)
        }
        return found < 0 ? .noPolicy : .bucket(policy: found, key: self.bucketKey(policy: found, foundKey))
    }

    private func checkPlanned(_ request: borrowing RateLimitRequest) -> RateLimitDecision {
        let plan = self.plan(request)
        return self.finish(plan, outcomes: plan.takes.isEmpty ? [] : self.buckets.decide(plan.takes))
    }

    /// Where token-bucket policy `index` keeps the bucket of a request it counts under `key`.
    @inline(__always)
    private func bucketKey(policy index: Int, _ key: String) -> BucketTable.Key {
        BucketTable.Key(
            hash: BucketHasher.process.hash(key, namespaceHash: self.tokenSpecs[index].namespaceHash),
            namespace: self.tokenSpecs[index].namespaceID, key: key
        )
    }

    /// The decision of token-bucket policy `index` alone, at the bucket `key`.
    @inline(__always)
    private func decide(policy index: Int, key: borrowing BucketTable.Key) -> RateLimitDecision {
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
