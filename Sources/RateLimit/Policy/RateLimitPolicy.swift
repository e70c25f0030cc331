/// One rate-limit policy: which requests it applies to, what it counts them by, and its limit.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Whether a policy rejects, or only reports what it would have rejected.
    public enum Mode: String, Sendable, Equatable {
        /// Rejections are answered with 429.
        case enforce
        /// Requests pass; would-be rejections are reported and counted.
        case shadow
    }

    /// What to do with a request that lacks the policy's key (no API-key header, say).
    public enum Missing: String, Sendable, Equatable {
        /// The policy does not apply to the request.
        case skip
        /// Count the request by its client address instead.
        case clientAddress = "client_address"
    }

    /// What happens when the store cannot decide (Redis unreachable).
    public enum StoreFailure: String, Sendable, Equatable {
        /// Let the request through.
        case allow
        /// Refuse the request with 429.
        case reject
    }

    /// The limit itself.
    public enum Limit: Sendable, Equatable {
        /// A token bucket: `burst` tokens at most, refilled at `rate`, `cost` tokens a request.
        case tokenBucket(rate: Rate, burst: Int, cost: Int)
        /// At most `limit` requests of one key in flight at once.
        case concurrency(limit: Int)
    }

    /// The policy's name, unique in a rule set; it names the policy in headers, errors and stats.
    public var name: String
    /// Which requests it applies to.
    public var match: RequestMatch
    /// What it counts requests by; the parts are joined.
    public var key: [KeyPart]
    /// The limit.
    public var limit: Limit
    /// Enforce or shadow.
    public var mode: Mode
    /// A request without the key.
    public var missing: Missing
    /// A store that cannot decide.
    public var onStoreError: StoreFailure

    /// Creates a policy.
    public init(
        name: String,
        match: RequestMatch = RequestMatch(),
        key: [KeyPart] = [.clientAddress()],
        limit: Limit,
        mode: Mode = .enforce,
        missing: Missing = .skip,
        onStoreError: StoreFailure = .allow
    ) {
        self.name = name
        self.match = match
        self.key = key
        self.limit = limit
        self.mode = mode
        self.missing = missing
        self.onStoreError = onStoreError
    }
}

/// Which requests a policy applies to; every condition given must hold.
public struct RequestMatch: Sendable, Equatable {
    /// The path starts with this.
    public var pathPrefix: String?
    /// The path is exactly this.
    public var path: String?
    /// The method is one of these (upper case); any method when empty.
    public var methods: Set<String>
    /// The host (without port), compared case-insensitively.
    public var host: String?

    /// Creates a match; with no conditions it matches every request.
    public init(pathPrefix: String? = nil, path: String? = nil, methods: Set<String> = [], host: String? = nil) {
        self.pathPrefix = pathPrefix
        self.path = path
        self.methods = Set(methods.map { $0.uppercased() })
        self.host = host?.lowercased()
    }

    /// Whether there are no conditions, so every request matches.
    public var isEmpty: Bool { self.pathPrefix == nil && self.path == nil && self.methods.isEmpty && self.host == nil }

    /// Whether `request` satisfies every condition.
    public func matches(_ request: borrowing RateLimitRequest) -> Bool {
        if let pathPrefix, !request.path.hasPrefix(pathPrefix) { return false }
        if let path, request.path != path { return false }
        if !self.methods.isEmpty, !self.methods.contains(request.method) { return false }
        if let host, request.host?.lowercased() != host { return false }
        return true
    }
}

/// One part of a policy's key.
public enum KeyPart: Sendable, Equatable {
    /// The client address, grouped by prefix length (`/24` for IPv4, `/64` for IPv6 count a whole network as one).
    case clientAddress(ipv4Prefix: Int = 32, ipv6Prefix: Int = 128)
    /// A request header's value, e.g. an API key.
    case header(String)
    /// A cookie's value.
    case cookie(String)
    /// The matched route's name.
    case route
}
