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
    /// Per chain: the byte classes that can make any of its transforms change a value
    /// (``TransformTriggers``); a value without them comes out of the chain unchanged.
    let chainTriggers: [UInt32]
    /// For each exclusion, the indices (into `rules`) it selects.
    let excludedRules: [Set<Int>]
    /// Which conditions could match a value, from the literals they require.
    let prefilter: LiteralPrefilter
    /// The chains the prefilter scans values after, by prefilter slot; slot 0 is the empty chain. Prefilter
    /// results are kept per (value, slot): there are far fewer of these chains than transform chains with
    /// their prefixes, so the per-request tables stay small.
    let prefilterChains: [Int]
    /// Each (prefilter slot, collection) that some prefiltered condition reads, with the conditions' bits
    /// (`prefilter.words` per group in `prefilterGroupMasks`), ordered by collection. An evaluation ORs the
    /// prefilter results of a group's values, masked, into one set of candidate conditions; a condition outside
    /// it cannot match.
    let prefilterGroups: [(slot: Int, collection: Int)]
    let prefilterGroupMasks: [UInt64]
    /// Per collection ordinal: its range of `prefilterGroups`, and the union of those groups' masks
    /// (`prefilter.words` per collection in `prefilterCollectionMasks`). A value's raw scan, masked by the
    /// union, answers for every group whose chain cannot change the value.
    let prefilterCollectionGroups: [Range<Int>]
    let prefilterCollectionMasks: [UInt64]
    /// Per prefilter slot, its chain's trigger byte classes (``chainTriggers`` of ``prefilterChains``) without
    /// ``TransformTriggers/upper``: the transforms it triggers (`lowercase`, `cmd_line`) change only the case of
    /// a value that has no other trigger, and the prefilter ignores case, so the raw value's scan answers.
    let prefilterSlotTriggers: [UInt32]
    /// Per prefilter slot: the fewest raw bytes a value needs before the slot's chain can make of it bytes that
    /// hold a literal of the slot's conditions (0 when the chain may lengthen a value). A shorter value's row is
    /// empty, with no transform run and no scan: base64 decoding, on every argument, shrinks each by a quarter.
    let prefilterSlotMinimumInput: [Int]
    /// Per collection ordinal and byte class (its bit position in ``TransformTriggers``): which of the
    /// collection's groups have a chain that class triggers, as bits by position in the collection's range of
    /// `prefilterGroups`, `prefilterGroupWords` words each. A value's classes pick its groups in a few ORs,
    /// instead of a test of every group the collection has.
    let prefilterTriggeredGroups: [UInt64]
    let prefilterGroupWords: Int
    /// Per collection ordinal: the union of its groups' slot triggers; 0 when none of them transforms.
    let prefilterCollectionTriggers: [UInt32]
    /// Per collection ordinal: for a collection no prefilter chain transforms, whose conditions need a handful of
    /// literals (the raw body), the search its values are scanned with instead of the automaton.
    let prefilterCollectionSearches: [AnchorSearch?]
    /// Per phase, `prefilter.words` words per rule (as in ``phases``): the prefilter bits of its conditions that
    /// match values (not counts). A rule cannot match unless all of them are among an evaluation's candidates.
    /// A flat table, so the rules most requests skip are skipped without reaching their compiled form.
    let prefilterGates: [[UInt64]]
    /// Per phase, an index of the gates: a row of `gateIndexWords[phase]` words (a bit per rule position) for each
    /// prefilter bit, marking the rules whose lowest gate bit it is, then a row marking the rules without gate
    /// bits. An evaluation ORs the rows of its candidate bits together and tests only the rules marked, in order:
    /// a GET has a few candidate bits, and most of the 70 default rules were tested to be skipped.
    let prefilterGateIndex: [[UInt64]]
    let gateIndexWords: [Int]

    /// A rule condition with its targets resolved and its transform chain interned. A class, so the hot loop
    /// retains one reference instead of each field.
    final class CompiledCondition: Sendable {
        let targets: [TargetSelector]
        let excluded: [TargetSelector]
        let chain: Int
        let `operator`: RuleOperator
        let negated: Bool
        /// This condition's bit in the prefilter; nil when it has no required literals (or is negated).
        let prefilter: Int?
        /// The slot (in ``RuleSet/prefilterChains``) of the chain without `lowercase` steps: the prefilter
        /// ignores case, so it scans this form and shares the scan with the raw value whenever the other steps
        /// change nothing.
        let prefilterSlot: Int
        /// The collections its targets read (by ordinal), for the rule set's ``RuleSet/prefilterGroups``.
        let collections: [Int]
        /// Whether a target counts values (`count(...)`) instead of matching them; counts bypass the prefilter.
        let counts: Bool
        /// When the chain ends in `length`: the chain before it. The operator is asked about the length of that
        /// chain's output as a number, so no digits are rendered for values that do not match.
        let measuredChain: Int?
        /// The fewest raw bytes a value needs to match, when the condition compares a length with `gt` or `ge`
        /// and its chain never lengthens a value; 0 otherwise. A collection whose longest value is shorter is
        /// not visited value by value.
        let minimumLength: Int

        init(
            targets: [TargetSelector], excluded: [TargetSelector], chain: Int, measuredChain: Int?, minimumLength: Int,
            operator: RuleOperator, negated: Bool, prefilter: Int?, prefilterSlot: Int
        ) {
            self.targets = targets
            self.excluded = excluded
            self.chain = chain
            self.measuredChain = measuredChain
            self.minimumLength = minimumLength
            self.operator = `operator`
            self.negated = negated
            self.prefilter = prefilter
            self.prefilterSlot = prefilterSlot
            var collections: [Int] = []
            for target in targets where !target.count && !collections.contains(target.collection.ordinal) {
                collections.append(target.collection.ordinal)
            }
            self.collections = collections
            self.counts = targets.contains { $0.count }
        }
    }

    /// A rule ready to run.
    final class CompiledRule: Sendable {
        let index: Int
        let rule: Rule
        let conditions: [CompiledCondition]

        init(index: Int, rule: Rule, conditions: [CompiledCondition]) {
            self.index = index
            self.rule = rule
            self.conditions = conditions
        }
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
        var prefilterChains = [0]
        var prefilterSlots = [0: 0]
        func prefilterSlot(_ chain: Int) -> Int {
            if let known = prefilterSlots[chain] { return known }
            prefilterChains.append(chain)
            prefilterSlots[chain] = prefilterChains.count - 1
            return prefilterChains.count - 1
        }
        var phases = [[CompiledRule]](repeating: [], count: Rule.Phase.allCases.count)
        var literalSets: [Set<[UInt8]>?] = []
        // Per prefilter slot: its chain's transforms, and the shortest literal of its prefiltered conditions.
        var slotTransforms: [Int: [Transform]] = [:]
        var slotShortestLiteral: [Int: Int] = [:]
        for (index, rule) in ordered.enumerated() {
            let conditions = ([rule.condition] + rule.chain).map { condition in
                let prefilterTransforms = condition.transforms.filter { $0 != .lowercase }
                let slot = prefilterSlot(intern(prefilterTransforms))
                var bit: Int?
                if !condition.negated,
                    let literals = Self.requiredLiterals(condition.operator, whitespaceCompressed: Self.compressesWhitespace(condition.transforms)),
                    Self.worthPrefiltering(literals, targets: condition.targets)
                {
                    bit = literalSets.count
                    literalSets.append(literals)
                    slotTransforms[slot] = prefilterTransforms
                    slotShortestLiteral[slot] = min(slotShortestLiteral[slot] ?? Int.max, literals.map(\.count).min() ?? 0)
                }
                let measured = condition.transforms.last == .length ? Array(condition.transforms.dropLast()) : nil
                return CompiledCondition(
                    targets: condition.targets, excluded: condition.excludedTargets, chain: intern(condition.transforms),
                    measuredChain: measured.map(intern), minimumLength: measured.map { Self.minimumLength(of: condition, measuring: $0) } ?? 0,
                    operator: condition.operator, negated: condition.negated, prefilter: bit, prefilterSlot: slot
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
        var triggers: [UInt32] = []
        for (parent, transform) in chains {
            triggers.append(triggers.isEmpty ? 0 : triggers[parent] | (transform?.triggers ?? 0))
        }
        self.chainTriggers = triggers
        self.excludedRules = exclusions.map { exclusion in
            Set(ordered.indices.filter { exclusion.selects(ordered[$0]) })
        }
        self.prefilter = LiteralPrefilter(literalSets)
        self.prefilterChains = prefilterChains
        var groups: [(slot: Int, collection: Int)] = []
        var masks: [UInt64] = []
        let words = self.prefilter.words
        self.prefilterGates = phases.map { rules in
            var gates = [UInt64](repeating: 0, count: rules.count * words)
            for (position, compiled) in rules.enumerated() {
                for condition in compiled.conditions where !condition.counts {
                    guard let bit = condition.prefilter else { continue }
                    gates[position * words + bit / 64] |= 1 << UInt64(bit % 64)
                }
            }
            return gates
        }
        self.gateIndexWords = phases.map { ($0.count + 63) / 64 }
        self.prefilterGateIndex = zip(self.prefilterGates, self.gateIndexWords).map { gates, ruleWords in
            let ungated = words * 64
            var index = [UInt64](repeating: 0, count: (ungated + 1) * ruleWords)
            for position in 0..<(gates.count / words) {
                let lowest = (0..<words).first { gates[position * words + $0] != 0 }.map { $0 * 64 + gates[position * words + $0].trailingZeroBitCount }
                index[(lowest ?? ungated) * ruleWords + position / 64] |= 1 << UInt64(position % 64)
            }
            return index
        }
        for condition in phases.joined().flatMap(\.conditions) where !condition.counts {
            guard let bit = condition.prefilter else { continue }
            for collection in condition.collections {
                let group = groups.firstIndex { $0 == (condition.prefilterSlot, collection) } ?? {
                    groups.append((condition.prefilterSlot, collection))
                    masks.append(contentsOf: repeatElement(0, count: words))
                    return groups.count - 1
                }()
                masks[group * words + bit / 64] |= 1 << UInt64(bit % 64)
            }
        }
        let byCollection = groups.indices.sorted { (groups[$0].collection, $0) < (groups[$1].collection, $1) }
        self.prefilterGroups = byCollection.map { groups[$0] }
        self.prefilterGroupMasks = byCollection.flatMap { masks[($0 * words)..<($0 * words + words)] }
        var collectionGroups = [Range<Int>](repeating: 0..<0, count: RequestView.collectionCount)
        var collectionMasks = [UInt64](repeating: 0, count: RequestView.collectionCount * words)
        for (group, (_, collection)) in self.prefilterGroups.enumerated() {
            let range = collectionGroups[collection]
            collectionGroups[collection] = range.isEmpty ? group..<(group + 1) : range.lowerBound..<(group + 1)
            for word in 0..<words { collectionMasks[collection * words + word] |= self.prefilterGroupMasks[group * words + word] }
        }
        self.prefilterCollectionGroups = collectionGroups
        self.prefilterCollectionMasks = collectionMasks
        let slotTriggers = prefilterChains.map { triggers[$0] & ~TransformTriggers.upper }
        self.prefilterSlotTriggers = slotTriggers
        self.prefilterSlotMinimumInput = prefilterChains.indices.map { slot in
            Self.minimumInput(through: slotTransforms[slot] ?? [], toHold: slotShortestLiteral[slot] ?? 0)
        }
        let groupWords = max(1, ((collectionGroups.map(\.count).max() ?? 0) + 63) / 64)
        var triggeredGroups = [UInt64](repeating: 0, count: RequestView.collectionCount * 32 * groupWords)
        var collectionTriggers = [UInt32](repeating: 0, count: RequestView.collectionCount)
        for (collection, range) in collectionGroups.enumerated() {
            for (position, group) in range.enumerated() {
                let slotTrigger = slotTriggers[self.prefilterGroups[group].slot]
                collectionTriggers[collection] |= slotTrigger
                for byteClass in 0..<32 where slotTrigger & (1 << UInt32(byteClass)) != 0 {
                    triggeredGroups[(collection * 32 + byteClass) * groupWords + position / 64] |= 1 << UInt64(position % 64)
                }
            }
        }
        self.prefilterTriggeredGroups = triggeredGroups
        self.prefilterGroupWords = groupWords
        self.prefilterCollectionTriggers = collectionTriggers
        self.prefilterCollectionSearches = collectionGroups.indices.map { collection in
            guard collectionTriggers[collection] == 0, !collectionGroups[collection].isEmpty else { return nil }
            var literals: [(bytes: [UInt8], bit: Int)] = []
            for (bit, set) in literalSets.enumerated() where collectionMasks[collection * words + bit / 64] & (1 << UInt64(bit % 64)) != 0 {
                for literal in set ?? [] { literals.append((literal, bit)) }
            }
            return AnchorSearch(literals)
        }
    }

    /// Literals one of which any value the operator accepts must contain (ignoring ASCII case, lower-cased);
    /// nil when unknown.
    /// `whitespaceCompressed`: the chain ends in `compress_whitespace` (``compressesWhitespace(_:)``).
    static func requiredLiterals(_ operator: RuleOperator, whitespaceCompressed: Bool = false) -> Set<[UInt8]>? {
        let literals: Set<[UInt8]>?
        switch `operator` {
        case .regex(let pattern): literals = RequiredLiterals.of(pattern.source, whitespaceCompressed: whitespaceCompressed)
        case .phrases(let matcher): literals = Set(matcher.phrases.map { $0.utf8.map(AhoCorasick.fold) })
        case .contains(let bytes), .beginsWith(let bytes), .endsWith(let bytes), .equals(let bytes):
            literals = [bytes.map(AhoCorasick.fold)]
        default: literals = nil
        }
        guard let literals, !literals.isEmpty, !literals.contains(where: \.isEmpty) else { return nil }
        return literals
    }

    /// Whether every run of whitespace in `transforms`' output is one space: the chain has `compress_whitespace`
    /// with only `lowercase` after it (`remove_nulls` after it could join two spaces, `url_decode` make more).
    /// The prefilter scans the chain without its `lowercase` steps, which compresses as much.
    static func compressesWhitespace(_ transforms: [Transform]) -> Bool {
        guard let last = transforms.lastIndex(of: .compressWhitespace) else { return false }
        return transforms[(last + 1)...].allSatisfy { $0 == .lowercase }
    }

    /// The fewest bytes a value needs before `transforms` can turn it into `length` bytes or more; 0 when a
    /// transform may lengthen it.
    static func minimumInput(through transforms: [Transform], toHold length: Int) -> Int {
        func bound(_ count: Int) -> Int? {
            var bound = count
            for transform in transforms {
                guard let next = transform.maximumOutputCount(forInput: bound) else { return nil }
                bound = next
            }
            return bound
        }
        guard bound(0) != nil, length > 0 else { return 0 }
        // The bound grows with the input: double past `length`, then halve the gap (a length rule's bound can be
        // any number a rule file holds).
        var high = length
        while let reached = bound(high), reached < length {
            guard high <= Int.max / 8 else { return 0 }
            high *= 2
        }
        var low = 0
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if let reached = bound(middle), reached >= length { high = middle } else { low = middle }
        }
        return high
    }

    /// The fewest raw bytes a value needs for `condition`, which compares the length after `transforms`, to
    /// match: a length above (`gt`) or at least (`ge`) a bound needs that many bytes when no transform lengthens
    /// a value. 0 when there is no such floor.
    static func minimumLength(of condition: RuleCondition, measuring transforms: [Transform]) -> Int {
        guard !condition.negated, case .numeric(let comparison, let bound) = condition.operator else { return 0 }
        switch comparison {
        case .gt where bound < Int.max: return Self.minimumInput(through: transforms, toHold: bound + 1)
        case .ge: return Self.minimumInput(through: transforms, toHold: bound)
        default: return 0
        }
    }

    /// Whether a condition with `literals` on `targets` should get a prefilter bit. Not when a literal is a
    /// single letter or digit and every target is one value (a named member, or a collection such as `method`):
    /// nearly every value holds such a literal, so the bit would skip a regex run on one or two values, while
    /// its literals make the shared scan stop on nearly every byte of every value (the Host check's hex digits
    /// did).
    static func worthPrefiltering(_ literals: Set<[UInt8]>, targets: [TargetSelector]) -> Bool {
        let common = literals.contains { $0.count == 1 && ($0[0] >= UInt8(ascii: "a") && $0[0] <= UInt8(ascii: "z") || $0[0] >= UInt8(ascii: "0") && $0[0] <= UInt8(ascii: "9")) }
        guard common else { return true }
        return !targets.allSatisfy { target in
            switch target.collection {
            case .method, .uri, .path, .queryString, .body, .unparsedBody, .clientAddress: true
            default: target.name != nil
            }
        }
    }

    /// Evaluates both phases of `request` (its body included).
    public func evaluate(_ request: FirewallRequest) -> FirewallDecision {
        var spare: FirewallEvaluation?
        return self.evaluate(request, reusing: &spare)
    }

    /// ``evaluate(_:)`` in the storage of `spare`, a spent evaluation (nil at first), which is left holding this
    /// evaluation for the next call: a caller evaluating request after request allocates the arrays once.
    public func evaluate(_ request: FirewallRequest, reusing spare: inout FirewallEvaluation?) -> FirewallDecision {
        FirewallEvaluation.start(ruleSet: self, request: request, in: &spare)
        guard let headers = spare?.runHeaders() else { preconditionFailure("an evaluation was just started in the slot") }
        guard headers.verdict == .pass, let decision = spare?.runBody(request.body) else { return headers }
        return decision
    }

    /// Counts of rules per tag, for `rampart check` and stats.
    public var rulesPerTag: [String: Int] {
        self.rules.reduce(into: [:]) { counts, rule in
            for tag in rule.tags { counts[tag, default: 0] += 1 }
        }
    }
}
