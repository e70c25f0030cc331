/// The evaluation of one request, phase by phase: the proxy runs the headers phase as soon as the head arrives,
/// and the body phase once the body (or its inspected prefix) is buffered.
///
/// It keeps the parsed request and the transformed values between phases, so no value is decoded twice.
public struct FirewallEvaluation {
    private var ruleSet: RuleSet
    private var request: FirewallRequest
    private var view: RequestView
    private var decision = FirewallDecision()
    /// Transformed values: `cacheSlot[entry * chainCount + chain]` holds an index into `cached` in its low 32
    /// bits, valid only when its high 32 bits are this evaluation's `generation`.
    ///
    /// Tagged rather than reset: the table has entries times chains cells (over 8,000 for reference.sh's 2 KB
    /// JSON body), and a spent evaluation restarts with its table as it is, where refilling it was 1.5% of that
    /// body's evaluation. Cells added for more entries start at 0, a generation no evaluation has.
    private var cacheSlot: [UInt64]
    private var generation: UInt64 = 1
    private var cached: [ArraySlice<UInt8>]
    /// The arrays transforms were handed to write into (``Transform/apply(_:reusing:)``), and those left from
    /// spent evaluations: a transform rewrites a value in an old output's array rather than a new one, which was
    /// 60 allocations and frees for a JSON body of 120 fields.
    private var outputs: [[UInt8]] = []
    private var spareOutputs: [[UInt8]] = []
    /// Per entry: the byte classes its raw value contains (``TransformTriggers``), or 0 until asked for (every
    /// value has ``TransformTriggers/any``). Summarized on demand: a raw body of kilobytes is read by rules
    /// without transforms, and its classes are never needed.
    private var byteClasses: [UInt32] = []
    /// Prefilter results, `words` per row, one row per value scanned: a raw value, or a chain's output that
    /// differs from it. Rows are added as values are scanned, so the table is not sized (and zeroed) for every
    /// (value, chain) pair, most of which share their raw value's row.
    private var hits: [UInt64]
    /// For each `entry * slotCount + prefilter slot`, the row of `hits` that answers for it (-1 until known):
    /// the raw value's row when the chain changes nothing. Slot 0 is the empty chain, so its column is the raw
    /// value's own row.
    private var hitRow: [Int32]
    /// A row of `hits` with no condition set, once some value needs it (-1 until then).
    private var emptyRow = -1
    /// The conditions some value of theirs may match (their prefilter bits), over the values seen so far, and
    /// per collection how many of its values are included. A condition outside the set is skipped without
    /// visiting its values one by one.
    private var candidates: [UInt64] = []
    private var collectionCovered = [Int](repeating: 0, count: RequestView.collectionCount)
    /// Per entry (`words` each): the union of the prefilter rows computed for it, which holds every row that
    /// answers for it. A condition whose bit is missing here is not asked about the entry's own row.
    private var entryHits: [UInt64] = []
    /// Per collection ordinal (`words` each): the union of its entries' `entryHits`. A condition visits only the
    /// collections that have its bit, instead of looking at each entry of every collection it targets.
    private var collectionHits: [UInt64] = []
    /// The rules of the running phase whose gates may open (a bit per position, in its first
    /// `gateIndexWords[phase]` words): those without gate bits, and those whose lowest gate bit is a candidate
    /// (``RuleSet/prefilterGateIndex``).
    private var mayOpen: [UInt64] = []
    /// Per entry: an earlier entry with the same bytes, whose prefilter rows answer for it (-1, or past the end:
    /// none known), and the table that finds them. Sought only in large collections of values
    /// (``twinBatchMinimum``), so a GET's evaluation never sizes the array.
    private var twinOf: [Int32] = []
    private var twins = ValueTwins()
    /// Per rule index: targets removed by exclusions that apply to this request; nil means the rule is off.
    private var adjustments: [Int: [TargetSelector]?]
    private var finished = false
    /// The rule set's transform-chain count, prefilter-slot count and prefilter width, read once: the
    /// bookkeeping indexes by them hundreds of times per request.
    private var chainCount: Int
    private var slotCount: Int
    private var words: Int

    /// Starts evaluating `request`; its body is ignored until ``runBody(_:)``. Nothing is parsed until a phase
    /// with rules runs.
    ///
    /// A caller evaluating request after request starts each in the last one's storage instead, with
    /// ``start(ruleSet:request:in:)``.
    public init(ruleSet: RuleSet, request: consuming FirewallRequest) {
        self.ruleSet = ruleSet
        self.request = request
        self.view = RequestView()
        self.cacheSlot = []
        self.cached = []
        self.hits = []
        self.hitRow = []
        self.chainCount = ruleSet.chains.count
        self.slotCount = ruleSet.prefilterChains.count
        self.words = ruleSet.prefilter.words
        self.adjustments = ruleSet.exclusions.isEmpty ? [:] : Self.adjustments(ruleSet: ruleSet, request: self.request)
    }

    /// Starts evaluating `request` in `slot`: in the storage of the evaluation it holds, one that is done with (of
    /// any request and rule set), or in new storage when it is nil. The spent evaluation's arrays are emptied and
    /// keep their capacity: a dozen allocations fewer per request, a third of a proxied GET's, when an event loop
    /// passes each finished evaluation on to its next request.
    ///
    /// Started where it is and run there (`slot?.runHeaders()`), the evaluation is not moved: it is 500 bytes,
    /// and the proxy moved it a dozen times per request, about a thousand instructions.
    ///
    /// The request is consumed, moved into the evaluation: a copy retained each of its strings, and destroying the
    /// caller's released them again.
    public static func start(ruleSet: RuleSet, request: consuming FirewallRequest, in slot: inout FirewallEvaluation?) {
        if slot == nil {
            slot = FirewallEvaluation(ruleSet: ruleSet, request: request)
        } else {
            slot?.restart(ruleSet: ruleSet, request: request)
        }
    }

    /// Empties this spent evaluation for `request`, where it is: moving each array into a new evaluation, then
    /// destroying the spent one, was a retain and a release per array and most of the cost of starting.
    private mutating func restart(ruleSet: RuleSet, request: consuming FirewallRequest) {
        self.ruleSet = ruleSet
        self.request = request
        self.chainCount = ruleSet.chains.count
        self.slotCount = ruleSet.prefilterChains.count
        self.words = ruleSet.prefilter.words
        self.adjustments = ruleSet.exclusions.isEmpty ? [:] : Self.adjustments(ruleSet: ruleSet, request: self.request)
        self.view.clear()
        self.generation &+= 1
        if self.generation > UInt64(UInt32.max) {
            // Once in four billion evaluations the tags would repeat: the table starts over.
            self.generation = 1
            self.cacheSlot.removeAll(keepingCapacity: true)
        }
        self.cached.removeAll(keepingCapacity: true)
        // After the cached slices are gone, so that each array is held once and rewritten where it is. Arrays
        // over 4 KiB (a whole body's) are let go, and so are those beyond 512: the spares come to 2 MiB at most,
        // however many or large the values a request brought.
        for output in self.outputs where output.capacity <= Self.spareOutputCapacity && self.spareOutputs.count < Self.spareOutputCount {
            self.spareOutputs.append(output)
        }
        self.outputs.removeAll(keepingCapacity: true)
        self.byteClasses.removeAll(keepingCapacity: true)
        self.hits.removeAll(keepingCapacity: true)
        self.hitRow.removeAll(keepingCapacity: true)
        self.emptyRow = -1
        self.candidates.removeAll(keepingCapacity: true)
        // In place: an inline array here was copied whole each time it was read.
        self.collectionCovered.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        self.entryHits.removeAll(keepingCapacity: true)
        self.collectionHits.removeAll(keepingCapacity: true)
        self.twinOf.removeAll(keepingCapacity: true)
        self.twins.removeAll()
        self.finished = false
        self.decision.clear()
    }

    private static let spareOutputCapacity = 4 * 1024
    private static let spareOutputCount = 512

    /// Per rule index, the targets the exclusions that apply to `request` remove (nil: the rule is off).
    private static func adjustments(ruleSet: RuleSet, request: FirewallRequest) -> [Int: [TargetSelector]?] {
        var adjustments: [Int: [TargetSelector]?] = [:]
        let method = request.method.uppercased()
        let path = String(request.path)
        for (index, exclusion) in ruleSet.exclusions.enumerated() where exclusion.applies(method: method, path: path) {
            for ruleIndex in ruleSet.excludedRules[index] {
                if exclusion.targets.isEmpty {
                    adjustments[ruleIndex] = .some(nil)
                } else if case .some(.some(let removed)) = adjustments[ruleIndex] {
                    adjustments[ruleIndex] = removed + exclusion.targets
                } else if adjustments[ruleIndex] == nil {
                    adjustments[ruleIndex] = exclusion.targets
                }
            }
        }
        return adjustments
    }

    /// Parses the request (and, for the body phase, its body) and sizes the caches to the values found.
    private mutating func prepare(body: Bool) {
        if !self.view.isParsed { self.view.parse(self.request) }
        if body { self.view.addBody(of: self.request) }
        self.byteClasses.append(contentsOf: repeatElement(0, count: self.view.count - self.byteClasses.count))
        let size = self.view.count * self.chainCount
        if size > self.cacheSlot.count { self.cacheSlot.append(contentsOf: repeatElement(0, count: size - self.cacheSlot.count)) }
        guard self.view.count * self.slotCount > self.hitRow.count else { return }
        self.hits.reserveCapacity(self.view.count * self.words)
        self.entryHits.append(contentsOf: repeatElement(0, count: self.view.count * self.words - self.entryHits.count))
        self.hitRow.append(contentsOf: repeatElement(-1, count: self.view.count * self.slotCount - self.hitRow.count))
    }

    /// Runs the request-headers phase.
    public mutating func runHeaders() -> FirewallDecision {
        if !self.ruleSet.phases[0].isEmpty { self.prepare(body: false) }
        return self.run(phase: 0)
    }

    /// Whether the body phase has rules to run, so the caller can skip collecting the body for it.
    public var needsBody: Bool { !self.finished && !self.ruleSet.phases[1].isEmpty }

    /// Runs the request-body phase over `body` (the whole body, or the prefix the proxy buffered).
    ///
    /// `body` is evaluated only when a body-phase rule will read it, so a caller need not collect a body for a
    /// rule set without body rules, nor ask ``needsBody`` first: asking that of an evaluation held in a class
    /// property copies the whole evaluation for the call.
    public mutating func runBody(_ body: @autoclosure () -> [UInt8]) -> FirewallDecision {
        // Without body-phase rules the body is not parsed at all.
        guard self.needsBody else { return self.run(phase: 1) }
        self.request.body = body()
        self.prepare(body: true)
        return self.run(phase: 1)
    }

    private mutating func run(phase: Int) -> FirewallDecision {
        guard !self.finished else { return self.decision }
        let rules = self.ruleSet.phases[phase]
        if !rules.isEmpty {
            self.updateCandidates()
            self.markRulesThatMayOpen(phase: phase)
        }
        let settings = self.ruleSet.settings
        let gates = self.ruleSet.prefilterGates[phase]
        for ruleWord in 0..<self.ruleSet.gateIndexWords[phase] {
            var positions = self.mayOpen[ruleWord]
            while positions != 0 {
                let position = ruleWord &* 64 &+ positions.trailingZeroBitCount
                positions &= positions &- 1
                // On ordinary traffic most rules have a condition whose literals no value holds: they end here,
                // before any other lookup.
                guard self.opens(gates, position) else { continue }
                let compiled = rules[position]
                var removed: [TargetSelector] = []
                if let adjustment = self.adjustments[compiled.index] {
                    guard let targets = adjustment else { continue }
                    removed = targets
                }
                guard let (target, value) = self.matches(compiled, removing: removed) else { continue }
                // The rule's fields are read where it is stored: a copy of the whole rule (its chain, targets and
                // pattern) was a retain and a release for each of them, on every request a logging rule matches.
                let detectionOnly = compiled.rule.detectionOnly || settings.detectionOnly
                let action = compiled.rule.action
                self.decision.matches.append(
                    RuleMatch(
                        ruleID: compiled.rule.id, message: compiled.rule.message, tags: compiled.rule.tags, action: action,
                        detectionOnly: detectionOnly, target: target, value: String(decoding: value.prefix(120), as: UTF8.self)
                    )
                )
                switch action {
                case .log:
                    continue
                case .allow:
                    self.decision.verdict = .allow
                    self.finished = true
                    return self.decision
                case .deny(let status):
                    if detectionOnly {
                        self.decision.wouldBlock = true
                        continue
                    }
                    self.decision.verdict = .deny(status: status)
                    self.finished = true
                    return self.decision
                case .score(let points):
                    self.decision.detectionScore += points
                    if !detectionOnly { self.decision.score += points }
                }
            }
        }
        if self.decision.score >= settings.anomalyThreshold {
            self.decision.verdict = .deny(status: settings.denyStatus)
            self.finished = true
        } else if self.decision.detectionScore >= settings.anomalyThreshold {
            self.decision.wouldBlock = true
        }
        return self.decision
    }

    /// The first target and value of the rule's first condition when every condition matches.
    private mutating func matches(_ compiled: RuleSet.CompiledRule, removing removed: [TargetSelector]) -> (String, ArraySlice<UInt8>)? {
        var first: (String, ArraySlice<UInt8>)?
        for condition in compiled.conditions {
            do {
                guard let found = try self.firstMatch(condition, removing: removed) else { return nil }
                if first == nil { first = found }
            } catch {
                self.decision.errors.append(RuleEvaluationError(ruleID: compiled.rule.id, message: "\(error); the rule counted as not matching"))
                return nil
            }
        }
        return first
    }

    private mutating func firstMatch(_ condition: RuleSet.CompiledCondition, removing removed: [TargetSelector]) throws(PatternMatchError) -> (String, ArraySlice<UInt8>)? {
        for selector in condition.targets {
            if selector.count {
                var count = 0
                for entry in self.view.entries(in: selector.collection.ordinal) where self.selects(selector, entry, condition.excluded, removed) {
                    count += 1
                }
                if try condition.operator.matches(number: count) != condition.negated { return (selector.description, Array(String(count).utf8)[...]) }
                continue
            }
            guard self.view.longestValue[selector.collection.ordinal] >= condition.minimumLength else { continue }
            if let bit = condition.prefilter, !self.holds(bit: bit, in: self.collectionHits, row: selector.collection.ordinal) { continue }
            for entry in self.view.entries(in: selector.collection.ordinal) {
                // The entry's prefilter union is one load, so it is asked before the selector's names.
                if let bit = condition.prefilter {
                    guard self.holds(bit: bit, in: self.entryHits, row: entry),
                        self.selects(selector, entry, condition.excluded, removed),
                        self.mayMatch(entry, slot: condition.prefilterSlot, bit: bit)
                    else { continue }
                } else if !self.selects(selector, entry, condition.excluded, removed) {
                    continue
                }
                let value: ArraySlice<UInt8>
                if let measured = condition.measuredChain {
                    let length = self.transformed(entry, chain: measured).count
                    guard try condition.operator.matches(number: length) != condition.negated else { continue }
                    value = Array(String(length).utf8)[...]
                } else {
                    value = self.transformed(entry, chain: condition.chain)
                    guard try condition.operator.matches(value) != condition.negated else { continue }
                }
                let name = self.view.name(of: entry)
                return (name.isEmpty ? selector.collection.rawValue : "\(selector.collection.rawValue):\(name)", value)
            }
        }
        return nil
    }

    /// `mutating`, as is ``covers(_:_:)``, though neither changes anything: from a mutating method, a call to a
    /// non-mutating one passes a copy of the whole evaluation, where a mutating one passes its address.
    private mutating func selects(_ selector: TargetSelector, _ entry: Int, _ excluded: [TargetSelector], _ removed: [TargetSelector]) -> Bool {
        if let name = selector.name, !self.view.name(of: entry, lowercasedIs: name) { return false }
        // Loops rather than `contains`: a closure would capture a copy of the whole evaluation.
        for target in excluded where self.covers(target, entry) { return false }
        for target in removed where self.covers(target, entry) { return false }
        return true
    }

    /// Whether `selector` (an excluded or removed target) takes in entry `entry`.
    private mutating func covers(_ selector: TargetSelector, _ entry: Int) -> Bool {
        guard selector.collection == self.view.collection(of: entry) else { return false }
        return selector.name.map { self.view.name(of: entry, lowercasedIs: $0) } ?? true
    }

    /// Adds the prefilter results of values not yet included (all of them at the headers phase, the body's at
    /// the body phase) to `candidates`.
    ///
    /// A value's raw scan, masked by the union of its collection's groups, stands for every chain that cannot
    /// change it; only the chains whose trigger bytes it contains are looked at one by one. The raw scan may
    /// admit a condition whose chain would have removed the literal: candidates are a superset, and
    /// ``firstMatch(_:removing:)`` asks each value's own row before matching.
    private mutating func updateCandidates() {
        let words = self.words
        if self.candidates.isEmpty { self.candidates.append(contentsOf: repeatElement(0, count: words)) }
        if self.collectionHits.isEmpty { self.collectionHits.append(contentsOf: repeatElement(0, count: RequestView.collectionCount * words)) }
        // The bit sets written here are held outside `self` and written through pointers: each write to a stored
        // array was a uniqueness check, six per entry. Nothing this loop calls reads them.
        var candidates: [UInt64] = []
        var entryHits: [UInt64] = []
        var collectionHits: [UInt64] = []
        swap(&candidates, &self.candidates)
        swap(&entryHits, &self.entryHits)
        swap(&collectionHits, &self.collectionHits)
        candidates.withUnsafeMutableBufferPointer { candidates in
            entryHits.withUnsafeMutableBufferPointer { entryHits in
                collectionHits.withUnsafeMutableBufferPointer { collectionHits in
                    self.updateCandidates(candidates, entryHits, collectionHits)
                }
            }
        }
        swap(&candidates, &self.candidates)
        swap(&entryHits, &self.entryHits)
        swap(&collectionHits, &self.collectionHits)
    }

    /// ``updateCandidates()`` with its bit sets taken out of `self`.
    private mutating func updateCandidates(
        _ candidates: UnsafeMutableBufferPointer<UInt64>, _ entryHits: UnsafeMutableBufferPointer<UInt64>,
        _ collectionHits: UnsafeMutableBufferPointer<UInt64>
    ) {
        let words = self.words
        let ruleSet = self.ruleSet
        let groups = ruleSet.prefilterGroups
        let masks = ruleSet.prefilterGroupMasks
        let triggeredGroups = ruleSet.prefilterTriggeredGroups
        let groupWords = ruleSet.prefilterGroupWords
        for (collection, range) in ruleSet.prefilterCollectionGroups.enumerated() where !range.isEmpty {
            let entries = self.view.entries(in: collection)
            let uncovered = entries.dropFirst(self.collectionCovered[collection])
            guard !uncovered.isEmpty else { continue }
            self.collectionCovered[collection] = entries.count
            // A collection no prefilter chain transforms (the raw body) is scanned without its byte classes.
            let triggers = ruleSet.prefilterCollectionTriggers[collection]
            self.coverRawValues(uncovered, of: collection, summarizing: triggers != 0, candidates, entryHits, collectionHits)
            guard triggers != 0 else { continue }
            for entry in uncovered {
                // Classes that trigger none of the collection's groups are masked off; often none are left.
                let classes = self.classes(of: entry) & triggers
                guard classes != 0 else { continue }
                let raw = Int(self.hitRow[entry &* self.slotCount])
                for groupWord in 0..<groupWords {
                    var triggered: UInt64 = 0
                    var remaining = classes
                    while remaining != 0 {
                        triggered |= triggeredGroups[(collection &* 32 &+ remaining.trailingZeroBitCount) &* groupWords &+ groupWord]
                        remaining &= remaining &- 1
                    }
                    while triggered != 0 {
                        let group = range.lowerBound &+ groupWord &* 64 &+ triggered.trailingZeroBitCount
                        triggered &= triggered &- 1
                        // The group was triggered by the value's classes, so its chain's triggers are among them.
                        let row = self.hitsRow(entry, prefilterSlot: groups[group].slot, triggered: true)
                        // The raw row is counted already, and the empty row adds nothing.
                        guard row != raw, row != self.emptyRow else { continue }
                        for word in 0..<words {
                            let hits = self.hits[row &* words &+ word]
                            entryHits[entry &* words &+ word] |= hits
                            candidates[word] |= hits & masks[group &* words &+ word]
                        }
                    }
                }
                for word in 0..<words { collectionHits[collection &* words &+ word] |= entryHits[entry &* words &+ word] }
            }
        }
    }

    /// Whether the prefilter lets condition `bit` look at entry `entry` after the chain of prefilter slot
    /// `prefilterSlot`.
    private mutating func mayMatch(_ entry: Int, slot prefilterSlot: Int, bit: Int) -> Bool {
        let row = self.hitsRow(entry, prefilterSlot: prefilterSlot)
        return self.holds(bit: bit, in: self.hits, row: row)
    }

    /// Sets ``mayOpen`` for `phase`: its rules without gate bits, and those whose lowest gate bit is a candidate.
    private mutating func markRulesThatMayOpen(phase: Int) {
        let ruleWords = self.ruleSet.gateIndexWords[phase]
        let index = self.ruleSet.prefilterGateIndex[phase]
        let ungated = self.words &* 64
        // Grown once for the widest phase, then written in place.
        if self.mayOpen.count < ruleWords { self.mayOpen.append(contentsOf: repeatElement(0, count: ruleWords - self.mayOpen.count)) }
        let candidates = self.candidates
        self.mayOpen.withUnsafeMutableBufferPointer { mayOpen in
            for ruleWord in 0..<ruleWords { mayOpen[ruleWord] = index[ungated &* ruleWords &+ ruleWord] }
            for (word, candidateBits) in candidates.enumerated() {
                var bits = candidateBits
                while bits != 0 {
                    let bit = word &* 64 &+ bits.trailingZeroBitCount
                    bits &= bits &- 1
                    for ruleWord in 0..<ruleWords { mayOpen[ruleWord] |= index[bit &* ruleWords &+ ruleWord] }
                }
            }
        }
    }

    /// Whether every prefilter bit of the rule at `position` in a phase's `gates` is among the candidates.
    @inline(__always)
    private func opens(_ gates: [UInt64], _ position: Int) -> Bool {
        for word in 0..<self.words {
            let gate = gates[position &* self.words &+ word]
            guard self.candidates[word] & gate == gate else { return false }
        }
        return true
    }

    /// Whether condition `bit` is set in row `row` of a table of condition bit sets (`words` words per row).
    @inline(__always)
    private func holds(bit: Int, in table: [UInt64], row: Int) -> Bool {
        table[row &* self.words &+ bit &>> 6] & (1 &<< UInt64(bit & 63)) != 0
    }

    /// The row of `hits` holding the prefilter's result for entry `entry` after the chain of prefilter slot
    /// `prefilterSlot`, scanning the value the first time it is asked for. Values the chain left unchanged
    /// share the raw value's row, so most values are scanned once. `triggered`: the caller knows the value holds
    /// some of the chain's trigger bytes, which are then not looked up.
    private mutating func hitsRow(_ entry: Int, prefilterSlot: Int, triggered: Bool = false) -> Int {
        let index = entry &* self.slotCount &+ prefilterSlot
        var row = Int(self.hitRow[index])
        if row < 0 {
            // None of the chain's trigger bytes occur: it cannot change the value, so it is not computed.
            if !triggered, self.ruleSet.prefilterSlotTriggers[prefilterSlot] & self.classes(of: entry) == 0 {
                return self.rawHitsRow(entry, prefilterSlot: prefilterSlot)
            }
            if self.view.valueCount(entry) < self.ruleSet.prefilterSlotMinimumInput[prefilterSlot] {
                // Too short for the chain to make any of the slot's literals: no condition of the slot can match.
                if self.emptyRow < 0 { self.emptyRow = self.scannedRow([]) }
                self.hitRow[index] = Int32(self.emptyRow)
                return self.emptyRow
            }
            let twin = entry < self.twinOf.count ? Int(self.twinOf[entry]) : -1
            if twin >= 0 {
                // The chain's output is a function of the bytes, which the twin shares.
                row = self.hitsRow(twin, prefilterSlot: prefilterSlot)
                self.hitRow[index] = Int32(row)
                return row
            }
            let value = self.transformed(entry, chain: self.ruleSet.prefilterChains[prefilterSlot])
            if self.view.isRawValue(value, of: entry) { return self.rawHitsRow(entry, prefilterSlot: prefilterSlot) }
            row = self.scannedRow(value)
            self.hitRow[index] = Int32(row)
        }
        return row
    }

    /// The raw value's row answers for entry `entry` after prefilter slot `prefilterSlot`: the chain leaves the
    /// value as it is (none of its trigger bytes occur, or it ran and changed nothing).
    ///
    /// The raw value was scanned by ``updateCandidates()``, which covers every value of a collection a
    /// prefiltered condition reads before any condition of the phase asks about one.
    private mutating func rawHitsRow(_ entry: Int, prefilterSlot: Int) -> Int {
        let row = self.hitRow[entry &* self.slotCount]
        precondition(row >= 0, "a raw value asked for before the candidate pass scanned it")
        self.hitRow[entry &* self.slotCount &+ prefilterSlot] = row
        return Int(row)
    }

    /// Scans the raw values of `entries` (of collection `collection`) not scanned yet, each into a new row of
    /// `hits`, keeping their byte classes when `summarizing`; then adds each value's row to its `entryHits`, to
    /// `candidates` (masked by the collection's groups) and to the collection's `collectionHits`.
    ///
    /// In a batch of ``twinBatchMinimum`` values or more of a collection chains transform, a value with the
    /// bytes of one scanned before takes that one's row and classes, and is its twin from then on
    /// (``hitsRow(_:prefilterSlot:)``). Member names are not looked up: JSON paths and header names rarely repeat.
    ///
    /// One pass over a collection's values with the tables, the bytes and the results held as pointers: scanned
    /// one call at a time, each value paid for reaching them again (a retain, a release, a uniqueness check per
    /// array written), as much as scanning a short value costs.
    @inline(never)
    private mutating func coverRawValues(
        _ entries: ArraySlice<Int>, of collection: Int, summarizing: Bool, _ candidates: UnsafeMutableBufferPointer<UInt64>,
        _ entryHits: UnsafeMutableBufferPointer<UInt64>, _ collectionHits: UnsafeMutableBufferPointer<UInt64>
    ) {
        let (words, slotCount) = (self.words, self.slotCount)
        var pending = 0
        for entry in entries where self.hitRow[entry &* slotCount] < 0 { pending &+= 1 }
        let firstRow = self.hits.count / words
        self.hits.append(contentsOf: repeatElement(0, count: pending &* words))
        // Taken out of `self` while written through pointers, so that the closures below need nothing of it.
        let seeksTwins = summarizing && pending >= Self.twinBatchMinimum && !RequestView.namesMembers(collection)
        if seeksTwins { self.findTwins(entries) }
        var (hits, hitRow, byteClasses, twinOf): ([UInt64], [Int32], [UInt32], [Int32]) = ([], [], [], [])
        swap(&hits, &self.hits)
        swap(&hitRow, &self.hitRow)
        swap(&byteClasses, &self.byteClasses)
        swap(&twinOf, &self.twinOf)
        let view = self.view
        let prefilter = self.ruleSet.prefilter
        // Only a collection no chain transforms has a search, and it is looked up only then: the lookup retains it.
        let search = summarizing ? nil : self.ruleSet.prefilterCollectionSearches[collection]
        let masks = self.ruleSet.prefilterCollectionMasks
        var next = firstRow
        view.withPhaseBytes { head, body in
            hits.withUnsafeMutableBufferPointer { hits in
                hitRow.withUnsafeMutableBufferPointer { hitRow in
                    byteClasses.withUnsafeMutableBufferPointer { byteClasses in
                        masks.withUnsafeBufferPointer { masks in
                            guard let results = hits.baseAddress else { return }
                            prefilter.withScanner { scanner in
                                // Short values are scanned in pairs, each walked beside the other; a long one is
                                // walked in halves on its own.
                                var waiting: (entry: Int, value: UnsafeBufferPointer<UInt8>, row: Int)?
                                for entry in entries where hitRow[entry &* slotCount] < 0 && (!seeksTwins || twinOf[entry] < 0) {
                                    let value = view.value(entry, head: head, body: body)
                                    let row = next
                                    next &+= 1
                                    hitRow[entry &* slotCount] = Int32(truncatingIfNeeded: row)
                                    if let search {
                                        search.scan(value, into: results + row &* words)
                                    } else if let other = waiting, value.count < scanner.splitLength {
                                        waiting = nil
                                        (byteClasses[other.entry], byteClasses[entry]) = scanner.scan(
                                            other.value, into: results + other.row &* words, value, into: results + row &* words, summarizing: summarizing
                                        )
                                    } else if value.count < scanner.splitLength {
                                        waiting = (entry, value, row)
                                    } else {
                                        byteClasses[entry] = scanner.scan(value, into: results + row &* words, summarizing: summarizing)
                                    }
                                }
                                if let other = waiting {
                                    byteClasses[other.entry] = scanner.scan(other.value, into: results + other.row &* words, summarizing: summarizing)
                                }
                                for entry in entries {
                                    // After every scan: a twin's own may still have been waiting for a pair.
                                    if seeksTwins, case let twin = Int(twinOf[entry]), twin >= 0 {
                                        hitRow[entry &* slotCount] = hitRow[twin &* slotCount]
                                        byteClasses[entry] = byteClasses[twin]
                                    }
                                    let row = Int(hitRow[entry &* slotCount])
                                    for word in 0..<words {
                                        let found = results[row &* words &+ word]
                                        entryHits[entry &* words &+ word] = found
                                        candidates[word] |= found & masks[collection &* words &+ word]
                                        collectionHits[collection &* words &+ word] |= found
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Rows were made for every value; twins took none of theirs.
        if seeksTwins { hits.removeLast((firstRow &+ pending &- next) &* words) }
        swap(&hits, &self.hits)
        swap(&hitRow, &self.hitRow)
        swap(&byteClasses, &self.byteClasses)
        swap(&twinOf, &self.twinOf)
    }

    /// Records in `twinOf` each of `entries` (none scanned yet) whose bytes an earlier value has.
    @inline(never)
    private mutating func findTwins(_ entries: ArraySlice<Int>) {
        var (twins, twinOf) = (ValueTwins(), [Int32]())
        swap(&twins, &self.twins)
        swap(&twinOf, &self.twinOf)
        twinOf.append(contentsOf: repeatElement(-1, count: self.view.count - twinOf.count))
        self.view.withPhaseBytes { head, body in
            let view = self.view
            func bytes(_ entry: Int) -> UnsafeBufferPointer<UInt8> { view.value(entry, head: head, body: body) }
            for entry in entries where view.valueCount(entry) >= Self.twinMinimumLength {
                if let twin = twins.twin(of: entry, bytes(entry), bytes: bytes) { twinOf[entry] = Int32(truncatingIfNeeded: twin) }
            }
        }
        swap(&twins, &self.twins)
        swap(&twinOf, &self.twinOf)
    }

    /// The fewest values of a collection, scanned at once, worth looking for twins among: a GET's dozen headers
    /// rarely repeat, and finding none costs a table and a hash each.
    private static let twinBatchMinimum = 16
    /// The shortest value looked up: a shorter one is scanned in a few steps, and is too short for the chains
    /// that decode (a twin spares their work), so looking it up cost more than it saved (reference.sh's JSON body
    /// has sixty numbers of one and two digits).
    private static let twinMinimumLength = 4

    /// Scans `value` (a chain's output: its byte classes are not needed) into a new row of `hits`.
    private mutating func scannedRow(_ value: ArraySlice<UInt8>) -> Int {
        let row = self.hits.count / self.words
        for _ in 0..<self.words { self.hits.append(0) }
        self.ruleSet.prefilter.scanWithoutClasses(value, into: &self.hits, offset: row &* self.words)
        return row
    }

    /// The byte classes of entry `entry`'s raw value, summarized the first time they are asked for.
    private mutating func classes(of entry: Int) -> UInt32 {
        let known = self.byteClasses[entry]
        guard known == 0 else { return known }
        let classes = TransformTriggers.classes(of: self.view.value(entry))
        self.byteClasses[entry] = classes
        return classes
    }

    /// The entry's bytes after the chain, computed once per (entry, chain) and built on the cached prefix chain.
    private mutating func transformed(_ entry: Int, chain: Int) -> ArraySlice<UInt8> {
        guard chain != 0 else { return self.view.value(entry) }
        let classes = self.classes(of: entry)
        guard self.ruleSet.chainTriggers[chain] & classes != 0 else { return self.view.value(entry) }
        let key = entry &* self.chainCount &+ chain
        let cell = self.cacheSlot[key]
        if cell &>> 32 == self.generation { return self.cached[Int(truncatingIfNeeded: cell & 0xFFFF_FFFF)] }
        let step = self.ruleSet.chains[chain]
        let input = self.transformed(entry, chain: step.parent)
        let output: ArraySlice<UInt8>
        if let transform = step.transform,
            transform.blockers & classes == 0 || self.ruleSet.chainTriggers[step.parent] & classes != 0
        {
            var storage = self.spareOutputs.popLast() ?? []
            output = transform.apply(input, reusing: &storage)
            self.outputs.append(storage)
        } else {
            // The raw value's classes speak for the input when the steps before changed nothing.
            output = input
        }
        self.cacheSlot[key] = self.generation &<< 32 | UInt64(self.cached.count)
        self.cached.append(output)
        return output
    }
}
