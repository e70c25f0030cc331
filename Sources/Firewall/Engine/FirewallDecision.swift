/// What the firewall decided about a request, and why.
public struct FirewallDecision: Sendable {
    /// The outcome.
    public enum Verdict: Sendable, Equatable {
        /// No rule stopped the request.
        case pass
        /// An `allow` rule matched: no later rule ran.
        case allow
        /// Rejected with this status, by a `deny` rule or by the anomaly score.
        case deny(status: Int)
    }

    /// The outcome.
    public internal(set) var verdict: Verdict = .pass
    /// Whether a detection-only rule (or the rule set in detection-only mode) would have rejected the request.
    public internal(set) var wouldBlock = false
    /// Every rule that matched, in evaluation order.
    public internal(set) var matches: [RuleMatch] = []
    /// The anomaly score from enforcing rules.
    public internal(set) var score = 0
    /// The anomaly score counting detection-only rules too.
    public internal(set) var detectionScore = 0
    /// Rules that could not finish (a regex that hit its match limit); they counted as not matching.
    public internal(set) var errors: [RuleEvaluationError] = []

    /// Back to a new decision's state, keeping the lists' storage: an evaluation restarted for the next request
    /// appends to them again, and the copy handed to the caller is gone by then.
    mutating func clear() {
        self.verdict = .pass
        self.wouldBlock = false
        self.matches.removeAll(keepingCapacity: true)
        self.score = 0
        self.detectionScore = 0
        self.errors.removeAll(keepingCapacity: true)
    }

    /// Whether the request is rejected.
    public var isDenied: Bool {
        if case .deny = self.verdict { return true }
        return false
    }

    /// The ids of the matched rules that block or score (not `log` ones): what a 403 names.
    public var blockingRuleIDs: [Int] {
        self.matches.filter { $0.action != .log && $0.action != .allow }.map(\.ruleID)
    }
}

/// One rule that matched.
public struct RuleMatch: Sendable, Equatable {
    /// The rule's id.
    public let ruleID: Int
    /// The rule's message.
    public let message: String
    /// The rule's tags.
    public let tags: [String]
    /// The rule's action.
    public let action: Rule.Action
    /// Whether the rule only detects.
    public let detectionOnly: Bool
    /// The target that matched the first condition, e.g. `args:q`.
    public let target: String
    /// The start of the matched value after transforms (at most 120 bytes), for logs.
    public let value: String
}

/// A rule that failed to evaluate.
public struct RuleEvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule's id.
    public let ruleID: Int
    /// What went wrong.
    public let message: String

    public var description: String { "rule \(self.ruleID): \(self.message)" }
}
