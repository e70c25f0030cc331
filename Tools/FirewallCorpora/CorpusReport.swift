import Firewall

/// How a rule set fares on the corpus: blocked attacks and passed near misses, per family.
public struct CorpusReport: Sendable {
    /// Counts for one family.
    public struct Tally: Sendable {
        /// Attack cases.
        public var attacks = 0
        /// Attack cases the rule set blocked.
        public var blocked = 0
        /// Near-miss cases.
        public var nearMisses = 0
        /// Near-miss cases the rule set let through.
        public var passed = 0

        /// Blocked attacks as a fraction (0 when there are none).
        public var blockedRatio: Double { self.attacks == 0 ? 0 : Double(self.blocked) / Double(self.attacks) }
        /// Passed near misses as a fraction (0 when there are none).
        public var passedRatio: Double { self.nearMisses == 0 ? 0 : Double(self.passed) / Double(self.nearMisses) }

        mutating func add(_ other: Tally) {
            self.attacks += other.attacks
            self.blocked += other.blocked
            self.nearMisses += other.nearMisses
            self.passed += other.passed
        }
    }

    /// Tallies by family (`942`).
    public private(set) var families: [String: Tally] = [:]
    /// Attack cases that passed, by family, as `942100-4`.
    public private(set) var missed: [String: [String]] = [:]
    /// Near misses that were blocked, as `942100-4 (rule ids)`.
    public private(set) var falsePositives: [String: [String]] = [:]

    /// Replays every case of `corpus` through `ruleSet`.
    public init(corpus: CRSCorpus, ruleSet: RuleSet) {
        for item in corpus.cases {
            let decision = ruleSet.evaluate(item.request)
            var tally = self.families[item.family] ?? Tally()
            switch item.kind {
            case .attack:
                tally.attacks += 1
                if decision.isDenied {
                    tally.blocked += 1
                } else {
                    self.missed[item.family, default: []].append(item.name)
                }
            case .nearMiss:
                tally.nearMisses += 1
                if decision.isDenied {
                    self.falsePositives[item.family, default: []].append("\(item.name) (\(decision.blockingRuleIDs.map(String.init).joined(separator: ",")))")
                } else {
                    tally.passed += 1
                }
            }
            self.families[item.family] = tally
        }
    }

    /// The total over `families` (all when nil).
    public func total(of families: [String]? = nil) -> Tally {
        var total = Tally()
        for (family, tally) in self.families where families?.contains(family) ?? true { total.add(tally) }
        return total
    }

    /// A Markdown table: one row per family, then the gated total and the overall total.
    public func markdown(gated: [String]) -> String {
        func percent(_ ratio: Double) -> String { String(Int((ratio * 1000).rounded()) / 10) + "." + String(Int((ratio * 1000).rounded()) % 10) + "%" }
        var lines = [
            "| family | attacks (PL1) | blocked | blocked % | near misses | passed | passed % |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        func row(_ label: String, _ tally: Tally) -> String {
            "| \(label) | \(tally.attacks) | \(tally.blocked) | \(percent(tally.blockedRatio)) | \(tally.nearMisses) | \(tally.passed) | \(percent(tally.passedRatio)) |"
        }
        for family in self.families.keys.sorted() {
            if let tally = self.families[family] { lines.append(row(family + (gated.contains(family) ? " (gated)" : ""), tally)) }
        }
        lines.append(row("**gated families**", self.total(of: gated)))
        lines.append(row("**all**", self.total()))
        return lines.joined(separator: "\n")
    }
}
