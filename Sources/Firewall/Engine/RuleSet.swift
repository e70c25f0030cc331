/// A validated, compiled set of firewall rules, immutable and shared by every thread.
///
/// Build one with ``RuleSetLoader`` (from files) or ``init(rules:exclusions:settings:files:version:)``, then
/// evaluate requests with ``evaluate(_:)`` or, to decide on the headers before reading the body,
/// ``FirewallEvaluation``.
public final class RuleSet: Sendable {
    /// The rules in evaluation order (by phase, then as loaded).
    public let rules: [Rule]
    /// The exclusions.
    public let exclusions: [RuleExclusion]
    /// Rule-set-wide settings.
    public let settings: FirewallSettings
    /// The files the set was loaded from.
    public let files: [String]
    /// A fingerprint of the files' contents, to tell reloads apart.
    public let version: String

    /// Compiled rules per phase, in order.
    let phases: [[CompiledRule]]
    /// Interned transform chains: entry `i` is chain `parent` followed by `transform`; entry 0 is empty.
    let chains: [(parent: Int, transform: Transform?)]
    /// For each exclusion, the indices (into `rules`) it selects.
    let excludedRules: [Set<Int>]

    /// A rule condition with its targets resolved and its transform chain interned.
    struct CompiledCondition: Sendable {
        let targets: [TargetSelector]
        let excluded: [TargetSelector]
        let chain: Int
        let `operator`: RuleOperator
        let negated: Bool
    }

    /// A rule ready to run.
    struct CompiledRule: Sendable {
        let index: Int
        let rule: Rule
        let conditions: [CompiledCondition]
    }

    /// Compiles `rules`; ids must be unique (the loader checks this with file positions).
    public init(rules: [Rule], exclusions: [RuleExclusion] = [], settings: FirewallSettings = FirewallSettings(), files: [String] = [], version: String = "") {
        let ordered = Rule.Phase.allCases.flatMap { phase in rules.filter { $0.phase == phase } }
        var chains: [(parent: Int, transform: Transform?)] = [(0, nil)]
        var chainIndex: [[Transform]: Int] = [[]: 0]
        func intern(_ transforms: [Transform]) -> Int {
            if let known = chainIndex[transforms] { return known }
            let parent = intern(Array(transforms.dropLast()))
            chains.append((parent, transforms.last))
            chainIndex[transforms] = chains.count - 1
            return chains.count - 1
        }
        var phases = [[CompiledRule]](repeating: [], count: Rule.Phase.allCases.count)
        for (index, rule) in ordered.enumerated() {
            let conditions = ([rule.condition] + rule.chain).map { condition in
                CompiledCondition(
                    targets: condition.targets, excluded: condition.excludedTargets, chain: intern(condition.transforms),
                    operator: condition.operator, negated: condition.negated
                )
            }
            phases[rule.phase == .requestHeaders ? 0 : 1].append(CompiledRule(index: index, rule: rule, conditions: conditions))
        }
        self.rules = ordered
        self.exclusions = exclusions
        self.settings = settings
        self.files = files
        self.version = version
        self.phases = phases
        self.chains = chains
        self.excludedRules = exclusions.map { exclusion in
            Set(ordered.indices.filter { exclusion.selects(ordered[$0]) })
        }
    }

    /// Evaluates both phases of `request` (its body included).
    public func evaluate(_ request: FirewallRequest) -> FirewallDecision {
        var evaluation = FirewallEvaluation(ruleSet: self, request: request)
        let headers = evaluation.runHeaders()
        guard headers.verdict == .pass else { return headers }
        return evaluation.runBody(request.body)
    }

    /// Counts of rules per tag, for `rampart check` and stats.
    public var rulesPerTag: [String: Int] {
        self.rules.reduce(into: [:]) { counts, rule in
            for tag in rule.tags { counts[tag, default: 0] += 1 }
        }
    }
}
