/// Turns rules off where they misfire, without editing them: by rule id or tag, for a path prefix and methods,
/// either entirely or for some targets only.
///
/// ```yaml
/// exclusions:
///   - rule_ids: [100100]
///     path_prefix: /api/search
///   - tags: [attack-xss]
///     path_prefix: /api/posts
///     methods: [POST]
///     targets: [args:body_markdown]
/// ```
public struct RuleExclusion: Sendable {
    /// Rules by id.
    public var ruleIDs: Set<Int>
    /// Rules carrying any of these tags.
    public var tags: Set<String>
    /// Applies to paths starting with this; nil for every path.
    public var pathPrefix: String?
    /// Applies to these methods (upper case); empty for every method.
    public var methods: Set<String>
    /// When not empty, only these targets are removed from the rules; otherwise the rules are off.
    public var targets: [TargetSelector]
    /// Where it is defined, `file:line`.
    public var location: String

    /// An exclusion.
    public init(ruleIDs: Set<Int> = [], tags: Set<String> = [], pathPrefix: String? = nil, methods: Set<String> = [], targets: [TargetSelector] = [], location: String = "") {
        self.ruleIDs = ruleIDs
        self.tags = tags
        self.pathPrefix = pathPrefix
        self.methods = Set(methods.map { $0.uppercased() })
        self.targets = targets
        self.location = location
    }

    func selects(_ rule: Rule) -> Bool {
        self.ruleIDs.contains(rule.id) || rule.tags.contains { self.tags.contains($0) }
    }

    func applies(method: String, path: String) -> Bool {
        (self.methods.isEmpty || self.methods.contains(method)) && (self.pathPrefix.map { path.hasPrefix($0) } ?? true)
    }
}
