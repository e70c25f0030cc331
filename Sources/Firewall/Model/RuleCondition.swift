/// One test of a rule: the targets to look at, the transforms to apply to each, and the operator.
///
/// A condition matches when the operator (negated, if so written) holds for at least one selected value. A
/// target with no values (an absent header, say) never matches, negated or not; test absence with
/// `count(...)`.
public struct RuleCondition: Sendable {
    /// The request parts to test.
    public var targets: [TargetSelector]
    /// Members removed from `targets`, e.g. `args:password` from `args`.
    public var excludedTargets: [TargetSelector]
    /// Applied to each value in order before the operator sees it.
    public var transforms: [Transform]
    /// The test.
    public var `operator`: RuleOperator
    /// Whether the condition matches when the operator does not hold.
    public var negated: Bool

    /// A condition.
    public init(targets: [TargetSelector], excludedTargets: [TargetSelector] = [], transforms: [Transform] = [], operator: RuleOperator, negated: Bool = false) {
        self.targets = targets
        self.excludedTargets = excludedTargets
        self.transforms = transforms
        self.operator = `operator`
        self.negated = negated
    }
}
