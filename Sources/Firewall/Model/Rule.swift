/// A firewall rule: conditions that must all match, and what to do when they do.
///
/// The model follows ModSecurity's so OWASP CRS can be expressed on it: phases, collections with named members,
/// transform chains, chained conditions, and anomaly scoring.
public struct Rule: Sendable {
    /// When a rule runs.
    public enum Phase: String, Sendable, CaseIterable, Comparable {
        /// With the request line and headers, before the body is read.
        case requestHeaders = "request_headers"
        /// With the body (buffered up to the proxy's limit); body fields are in `args`.
        case requestBody = "request_body"

        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs == .requestHeaders && rhs == .requestBody }
    }

    /// How bad a match is; sets the default anomaly score.
    public enum Severity: String, Sendable, CaseIterable {
        /// Score 5.
        case critical
        /// Score 4.
        case error
        /// Score 3.
        case warning
        /// Score 2.
        case notice

        /// The anomaly score of a match, as in CRS.
        public var defaultScore: Int {
            switch self {
            case .critical: 5
            case .error: 4
            case .warning: 3
            case .notice: 2
            }
        }
    }

    /// What a match does.
    public enum Action: Sendable, Equatable {
        /// Reject the request now with this status.
        case deny(status: Int)
        /// Record the match and go on.
        case log
        /// Let the request through; no later rule runs.
        case allow
        /// Add to the request's anomaly score; it is rejected when the total reaches the threshold.
        case score(Int)
    }

    /// Unique across the rule set.
    public var id: Int
    /// Shown in logs and decisions.
    public var message: String
    /// How bad a match is.
    public var severity: Severity
    /// Free-form labels (`attack-sqli`, `paranoia-level/1`); exclusions and stats use them.
    public var tags: [String]
    /// When the rule runs.
    public var phase: Phase
    /// The first condition.
    public var condition: RuleCondition
    /// Further conditions that must all match too.
    public var chain: [RuleCondition]
    /// What a match does.
    public var action: Action
    /// Record "would block" instead of blocking, for trying a rule out.
    public var detectionOnly: Bool
    /// Where the rule is defined, `file:line`.
    public var location: String

    /// A rule.
    public init(
        id: Int,
        message: String,
        severity: Severity = .critical,
        tags: [String] = [],
        phase: Phase = .requestBody,
        condition: RuleCondition,
        chain: [RuleCondition] = [],
        action: Action,
        detectionOnly: Bool = false,
        location: String = ""
    ) {
        self.id = id
        self.message = message
        self.severity = severity
        self.tags = tags
        self.phase = phase
        self.condition = condition
        self.chain = chain
        self.action = action
        self.detectionOnly = detectionOnly
        self.location = location
    }
}
