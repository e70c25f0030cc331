#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds literals a regex cannot match without: a set of strings of which every match contains at least one.
///
/// The firewall uses them as a prefilter: one Aho-Corasick pass over a value tells which regexes could match
/// it, and the others are not run. The analysis is conservative: anything it does not understand (`.`, `\w`,
/// negated or large classes, back-references) contributes no literal, and a pattern where some branch has no
/// literal gets no prefilter at all (nil). Assertions (anchors, `\b`, lookarounds) match no bytes, so the
/// literals on either side join across them. Literals are lower-cased; the prefilter compares without regard
/// to ASCII case, so `(?i)` patterns and case-sensitive ones are both covered.
enum RequiredLiterals {
    /// The literal set for `pattern` (byte strings: a pattern may require bytes that are not UTF-8, such as
    /// `\xac\xed`), or nil when no sound one is found.
    ///
    /// With `whitespaceCompressed`, the values the pattern reads have been through `compress_whitespace` (and at
    /// most `lowercase` after it): every run of whitespace is one space, so `\s` is a space and `\s+` exactly
    /// one. `\border\s+by` then needs `order by`, which prose holding the word `order` seldom does.
    static func of(_ pattern: String, whitespaceCompressed: Bool = false) -> Set<[UInt8]>? {
        var parser = Parser(Array(pattern.utf8))
        parser.whitespaceCompressed = whitespaceCompressed
        guard let branches = parser.alternation(), parser.atEnd else { return nil }
        return self.facts(branches: branches).required.map(self.minimal)
    }

    /// `literals` without those that hold another one: a value holding the longer holds the shorter, so the
    /// longer adds states to the prefilter's automaton and nothing to what it finds. An optional byte before a
    /// word (`(?:\s|^)on(?:load|...)`) would otherwise keep the word once bare and once after each byte.
    static func minimal(_ literals: Set<[UInt8]>) -> Set<[UInt8]> {
        // Slices, so that each piece looked up is not copied into an array of its own.
        let pieces = Set(literals.map { $0[...] })
        let lengths = Set(literals.map(\.count))
        return literals.filter { literal in
            for length in lengths where length < literal.count {
                for start in 0...(literal.count - length) where pieces.contains(literal[start..<(start + length)]) { return false }
            }
            return true
        }
    }

    /// One item of a sequence after parsing.
    indirect enum Item: Sendable {
        /// A literal byte.
        case byte(UInt8)
        /// Literal bytes in a row: one item, so a word is joined to what is around it once, not byte by byte.
        case literal([UInt8])
        /// A group: one of its branches matched (each branch a sequence). An assertion (an anchor, `\b`, a
        /// lookaround) is a group of one empty branch: it matches no bytes.
        case group([[Item]])
        /// `item` at least `minimum` times in a row (`+`, `{2,}`, `{2,9}`): every match starts and ends with
        /// `minimum` of them.
        case repeated(Item, minimum: Int)
        /// Anything else that consumes input (`.`, `\w`, a negated or large class).
        case other

        /// An assertion (`^`, `\b`, a lookaround, inline options): it matches no bytes, so it joins what is on
        /// either side.
        static let assertion = Item.group([[]])
    }

    /// An item with its quantifier: at least `minimum` and at most `maximum` times (nil: no bound).
    struct Quantified {
        var item: Item
        var minimum = 1
        var maximum: Int? = 1
    }

    /// What the analysis knows of a piece of a pattern, as sets of lower-cased byte strings; each is nil when
    /// unknown.
    ///
    /// Knowing how a piece starts and ends lets literals join across pieces that are not exact strings:
    /// `(?:'|\d+)\s*or\b` requires `'or`, `1 or` and their like, which prose holding `order` or `for` does
    /// not, where `or` alone would send every such value to the regex.
    struct Facts {
        /// Every string the piece matches, when they are few; holds the empty string when it may match none.
        var exact: Set<[UInt8]>?
        /// Every match starts with one of these.
        var prefix: Set<[UInt8]>?
        /// Every match ends with one of these.
        var suffix: Set<[UInt8]>?
        /// Every match contains one of these: the most selective such set found (``score(_:)``).
        var required: Set<[UInt8]>?
    }

    /// The most strings an exact set, or a joined prefix or suffix, may hold; beyond it, a join is not made
    /// and each part stands on its own.
    static let stretchLimit = 256

    /// What the analysis knows of one item.
    static func facts(_ item: Item, distributing depth: Int = 0) -> Facts {
        switch item {
        case .byte(let byte):
            return self.facts(.literal([byte]))
        case .literal(let bytes):
            let set: Set<[UInt8]> = [bytes.map(AhoCorasick.fold)]
            return Facts(exact: set, prefix: set, suffix: set, required: set)
        case .group(let branches):
            return self.facts(branches: branches, distributing: depth)
        case .repeated(let inner, let minimum):
            let facts = self.facts(inner, distributing: depth)
            guard let exact = facts.exact, !exact.contains([]) else {
                return Facts(prefix: facts.prefix, suffix: facts.suffix, required: facts.required)
            }
            // `minimum` of the item in a row, or as many as the limit allows: a match starts and ends with them.
            var run = exact
            for _ in 1..<max(1, minimum) {
                guard let longer = self.product(run, exact) else { break }
                run = longer
            }
            return Facts(prefix: run, suffix: run, required: run)
        case .other:
            return Facts()
        }
    }

    /// One branch matches: each fact holds for the group when it holds for every branch, as their union.
    static func facts(branches: [[Item]], distributing depth: Int = 0) -> Facts {
        guard !branches.isEmpty else { return Facts() }
        var result = Facts(exact: [], prefix: [], suffix: [], required: [])
        for branch in branches {
            let facts = self.facts(sequence: branch, distributing: depth)
            self.formUnion(&result.exact, facts.exact)
            self.formUnion(&result.prefix, facts.prefix)
            self.formUnion(&result.suffix, facts.suffix)
            self.formUnion(&result.required, facts.required)
        }
        return result
    }

    /// Adds `other` to `set` in place; either unknown (nil) leaves it unknown.
    private static func formUnion(_ set: inout Set<[UInt8]>?, _ other: Set<[UInt8]>?) {
        guard set != nil, let other else {
            set = nil
            return
        }
        set?.formUnion(other)
    }

    /// Items matched one after another.
    ///
    /// Walks the items keeping `tail`, the strings one of which ends every match of the items so far: an exact
    /// item extends it, and before an item that is not exact, the tail joined with how that item starts is
    /// required, as are the tail itself and the item's own requirement. The most selective is kept.
    ///
    /// A group that is not exact is also distributed over the exact items beside it (``distributed(_:at:in:_:depth:)``),
    /// `depth` levels deep at most.
    static func facts(sequence: [Item], distributing depth: Int = 0) -> Facts {
        var candidates: [Set<[UInt8]>] = []
        func propose(_ set: Set<[UInt8]>?) {
            if let set, !set.isEmpty, !set.contains([]) { candidates.append(set) }
        }
        let itemFacts = sequence.map { self.facts($0, distributing: depth) }
        if depth < Self.distributionDepth {
            for (index, item) in sequence.enumerated() where itemFacts[index].exact == nil {
                guard case .group(let branches) = item else { continue }
                propose(self.distributed(branches, at: index, in: sequence, itemFacts, depth: depth))
            }
        }
        // Every string the items so far match (nil once one is not exact), and once it is nil, how every match
        // starts.
        var exact: Set<[UInt8]>? = [[]]
        var prefix: Set<[UInt8]>?
        var tail: Set<[UInt8]> = [[]]
        for facts in itemFacts {
            if let itemExact = facts.exact {
                if let known = exact {
                    exact = self.product(known, itemExact)
                    if exact == nil { prefix = known }
                }
                if let joined = self.product(tail, itemExact) {
                    tail = joined
                } else {
                    propose(tail)
                    tail = itemExact
                }
                continue
            }
            if let known = exact {
                prefix = facts.prefix.flatMap { self.product(known, $0) } ?? known
                exact = nil
            }
            if let start = facts.prefix { propose(self.product(tail, start)) }
            propose(tail)
            propose(facts.required)
            tail = facts.suffix ?? [[]]
        }
        propose(tail)
        if let exact { prefix = exact }
        return Facts(
            exact: exact, prefix: self.nonEmpty(prefix), suffix: self.nonEmpty(tail),
            required: candidates.max { self.score($0) < self.score($1) }
        )
    }

    /// How many groups deep a distribution may reach. Each level analyses its group's branches again; deeper
    /// levels found nothing more for the default rules, and loading them took longer.
    static let distributionDepth = 1

    /// What a group that is not exact requires together with the exact items on either side of it: for each
    /// branch, what the branch requires with those items around it; nil when some branch requires nothing.
    ///
    /// A match of the sequence matches one of the branches there, so the union holds for all. It finds what one
    /// tail for all the branches cannot: in `(?:127\.\d+|0(?:\.0)*)[:/]`, the first branch's end is unknown, so
    /// the group's tail says nothing, and only `0`, which every number holds, would be left of the second.
    /// Distributed, the second branch requires `0:` or `0/`.
    static func distributed(_ branches: [[Item]], at index: Int, in sequence: [Item], _ itemFacts: [Facts], depth: Int) -> Set<[UInt8]>? {
        var start = index
        while start > 0, itemFacts[start - 1].exact != nil { start -= 1 }
        var end = index + 1
        while end < sequence.count, itemFacts[end].exact != nil { end += 1 }
        guard start < index || end > index + 1 else { return nil }
        var result: Set<[UInt8]> = []
        for branch in branches {
            let around = Array(sequence[start..<index]) + branch + Array(sequence[(index + 1)..<end])
            guard let required = self.facts(sequence: around, distributing: depth + 1).required else { return nil }
            result.formUnion(required)
        }
        return result
    }

    /// Every concatenation of a string of `first` with one of `second`; nil past ``stretchLimit``.
    static func product(_ first: Set<[UInt8]>, _ second: Set<[UInt8]>) -> Set<[UInt8]>? {
        guard first.count * second.count <= self.stretchLimit else { return nil }
        var result = Set<[UInt8]>(minimumCapacity: first.count * second.count)
        for head in first {
            for end in second { result.insert(head + end) }
        }
        return result
    }

    /// `set` when none of its strings is empty (an empty one says nothing of where a match starts or ends).
    private static func nonEmpty(_ set: Set<[UInt8]>?) -> Set<[UInt8]>? {
        guard let set, !set.isEmpty, !set.contains([]) else { return nil }
        return set
    }

    /// How selective a set is: its weakest literal's score, the bits of surprise of its bytes in ordinary
    /// request values (``weight(_:)``), so a literal that benign values seldom hold scores high.
    static func score(_ set: Set<[UInt8]>) -> Double {
        let weakest = set.map(self.surprise).min() ?? 0
        return weakest - Double(set.count) / 1000
    }

    /// The bits of surprise of `literal`: its bytes' weights, less 2.5 bits for each of the commonest English
    /// bigrams in it. Letters are not independent: `on`, `th` or `er` occur five or six times as often as their
    /// letters' frequencies predict, and scored as if independent, `on` looked rarer than `(`.
    static func surprise(_ literal: [UInt8]) -> Double {
        var bits = 0.0
        var previous: UInt8?
        for byte in literal {
            bits += self.weight(byte)
            if let previous, Self.commonBigrams.contains(UInt16(previous) << 8 | UInt16(byte)) { bits -= 2.5 }
            previous = byte
        }
        return bits
    }

    /// The thirty commonest letter pairs of English text, as `first << 8 | second`.
    private static let commonBigrams: Set<UInt16> = Set(
        ["th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it", "al", "ar",
         "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le"].map { pair in
            let bytes = Array(pair.utf8)
            return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        }
    )

    /// `-log2` of how often `byte` occurs in ordinary request values, roughly: letters by their frequency in
    /// English text (which most free-text fields hold) over the three fifths of bytes that are letters, digits
    /// and the punctuation of URLs, headers and prose at about 1%, the space at 8%, and the bytes attacks need
    /// (quotes, brackets, `< > | & $` and controls) seldom. A single `w` (6 bits) is thus held by far more
    /// values than `;` (8.4 bits), and `ss` (9.4 bits) by fewer.
    static func weight(_ byte: UInt8) -> Double {
        let frequency: Double
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): frequency = 0.6 * Self.letterFrequencies[Int(byte - UInt8(ascii: "a"))]
        case UInt8(ascii: "0")...UInt8(ascii: "9"): frequency = 0.008
        case 0x20: frequency = 0.08
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "-"),
            UInt8(ascii: "_"):
            frequency = 0.01
        case UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"): frequency = 0.003
        case 0x21...0x7E: frequency = 0.0005
        default: frequency = 0.0001
        }
        return -log2(frequency)
    }

    /// The frequency of each letter `a` to `z` in English text.
    private static let letterFrequencies: [Double] = [
        0.082, 0.015, 0.028, 0.043, 0.127, 0.022, 0.020, 0.061, 0.070, 0.0015, 0.0077, 0.040, 0.024,
        0.067, 0.075, 0.019, 0.00095, 0.060, 0.063, 0.091, 0.028, 0.0098, 0.024, 0.0015, 0.020, 0.00074,
    ]

    /// A recursive-descent reader of the PCRE syntax the rules use; it gives up (nil) on what it cannot read.
    struct Parser {
        let bytes: [UInt8]
        var index = 0
        /// Whether whitespace in the subject is compressed (``RequiredLiterals/of(_:whitespaceCompressed:)``).
        var whitespaceCompressed = false

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { self.index >= self.bytes.count }

        private func peek(_ offset: Int = 0) -> UInt8? {
            self.index + offset < self.bytes.count ? self.bytes[self.index + offset] : nil
        }

        /// Branches separated by `|`, up to `)` or the end.
        mutating func alternation() -> [[Item]]? {
            var branches: [[Item]] = []
            var current: [Quantified] = []
            while let byte = self.peek(), byte != UInt8(ascii: ")") {
                if byte == UInt8(ascii: "|") {
                    self.index += 1
                    branches.append(self.items(current))
                    current = []
                    continue
                }
                guard let item = self.atom() else { return nil }
                guard let quantified = self.quantifier(item) else { return nil }
                current.append(quantified)
            }
            branches.append(self.items(current))
            return branches
        }

        /// Spells quantifiers out as items, so a branch is a plain sequence: a count of at most a few is written
        /// out, with the optional rest as a group of each count (`a{1,3}` is `a` then `|a|aa`); a longer or
        /// unbounded count is ``Item/repeated``; an item that may be left out without such a bound is `.other`.
        func items(_ sequence: [Quantified]) -> [Item] {
            var items: [Item] = []
            for element in sequence {
                var (minimum, maximum) = (element.minimum, element.maximum)
                if self.whitespaceCompressed, case .byte(0x20) = element.item {
                    // In compressed whitespace, spaces never come two in a row: a run of them is one space.
                    (minimum, maximum) = (min(minimum, 1), 1)
                }
                guard let maximum, maximum - minimum <= 3, minimum <= 8 else {
                    items.append(minimum == 0 ? .other : .repeated(element.item, minimum: min(minimum, 8)))
                    continue
                }
                items += repeatElement(element.item, count: minimum)
                if maximum > minimum {
                    items.append(.group((0...(maximum - minimum)).map { Array(repeating: element.item, count: $0) }))
                }
            }
            return Self.joiningBytes(items)
        }

        /// `items` with each run of literal bytes made one ``Item/literal(_:)``.
        static func joiningBytes(_ items: [Item]) -> [Item] {
            var joined: [Item] = []
            for item in items {
                guard case .byte(let byte) = item else {
                    joined.append(item)
                    continue
                }
                switch joined.last {
                case .literal(let run)?: joined[joined.count - 1] = .literal(run + [byte])
                case .byte(let previous)?: joined[joined.count - 1] = .literal([previous, byte])
                default: joined.append(item)
                }
            }
            return joined
        }

        private mutating func atom() -> Item? {
            guard let byte = self.peek() else { return nil }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\\"):
                return self.escape()
            case UInt8(ascii: "["):
                let start = self.index
                if let members = self.smallClass() {
                    // A match holds one of the class's bytes: a group of one-byte branches.
                    return .group(members.map { [.byte($0)] })
                }
                self.index = start
                return self.skipClass() ? .other : nil
            case UInt8(ascii: "("):
                return self.group()
            case UInt8(ascii: "^"), UInt8(ascii: "$"):
                return Item.assertion
            case UInt8(ascii: "."):
                return .other
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                return nil
            default:
                return .byte(byte)
            }
        }

        private mutating func escape() -> Item? {
            guard let next = self.peek() else { return nil }
            self.index += 1
            switch next {
            case UInt8(ascii: "x"):
                if self.peek() == UInt8(ascii: "{") { return nil }
                guard let high = self.peek(), let low = self.peek(1), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                self.index += 2
                return .byte(value)
            case UInt8(ascii: "Q"), UInt8(ascii: "E"), UInt8(ascii: "g"), UInt8(ascii: "k"), UInt8(ascii: "p"), UInt8(ascii: "P"), UInt8(ascii: "c"):
                return nil
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                return nil
            case UInt8(ascii: "n"): return .byte(0x0A)
            case UInt8(ascii: "r"): return .byte(0x0D)
            case UInt8(ascii: "t"): return .byte(0x09)
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"), UInt8(ascii: "G"), UInt8(ascii: "K"):
                return Item.assertion
            case UInt8(ascii: "d"):
                return .group((UInt8(ascii: "0")...UInt8(ascii: "9")).map { [.byte($0)] })
            case UInt8(ascii: "s"):
                // Without Unicode properties (the firewall compiles none), `\s` is these six ASCII bytes.
                return self.whitespaceCompressed ? .byte(0x20) : .group([0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].map { [.byte($0)] })
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                return .other
            default:
                return .byte(next)
            }
        }

        /// The bytes of a positive class of at most 32 ASCII bytes written as literals, escapes and ranges
        /// (`['"`]`, `[\x00-\x08\x7f]`, `[=<>]`); nil for anything else (negation, `\d`, POSIX names), and
        /// the caller skips it as an unknown class.
        private mutating func smallClass() -> [UInt8]? {
            guard self.peek() != UInt8(ascii: "^"), self.peek() != UInt8(ascii: "]") else { return nil }
            var members = Set<UInt8>()
            var previous: UInt8?
            while let byte = self.peek() {
                self.index += 1
                var value = byte
                switch byte {
                case UInt8(ascii: "]"):
                    return members.count <= 32 ? members.sorted() : nil
                case UInt8(ascii: "["):
                    return nil
                case UInt8(ascii: "\\"):
                    // Inside a class as outside: a literal byte, a class of bytes (`\d`), or something this reader
                    // does not model (`\b` is a backspace here, not an assertion).
                    switch self.escape() {
                    case .byte(let escaped):
                        value = escaped
                    case .group(let branches):
                        for branch in branches {
                            guard branch.count == 1, case .byte(let member) = branch[0] else { return nil }
                            members.insert(member)
                        }
                        previous = nil
                        continue
                    default:
                        return nil
                    }
                case UInt8(ascii: "-") where previous != nil && self.peek() != UInt8(ascii: "]"):
                    // A range: from the previous member to the next one.
                    guard let low = previous, let end = self.smallClassMember(), end >= low, Int(end) - Int(low) <= 32 else { return nil }
                    for member in low...end { members.insert(member) }
                    previous = nil
                    continue
                default: break
                }
                guard value < 0x80 else { return nil }
                members.insert(value)
                previous = value
            }
            return nil
        }

        /// One member after a range's `-`: a plain ASCII byte or an escaped one.
        private mutating func smallClassMember() -> UInt8? {
            guard let byte = self.peek() else { return nil }
            self.index += 1
            guard byte == UInt8(ascii: "\\") else { return byte < 0x80 && byte != UInt8(ascii: "]") ? byte : nil }
            guard case .byte(let escaped) = self.escape(), escaped < 0x80 else { return nil }
            return escaped
        }

        /// Skips `[...]` (with `\]`, a leading `]` or `^]`, and `[:name:]`).
        private mutating func skipClass() -> Bool {
            if self.peek() == UInt8(ascii: "^") { self.index += 1 }
            if self.peek() == UInt8(ascii: "]") { self.index += 1 }
            while let byte = self.peek() {
                self.index += 1
                switch byte {
                case UInt8(ascii: "\\"): self.index += 1
                case UInt8(ascii: "["):
                    if self.peek() == UInt8(ascii: ":") {
                        while let inner = self.peek(), inner != UInt8(ascii: "]") { self.index += 1 }
                        self.index += 1
                    }
                case UInt8(ascii: "]"): return true
                default: break
                }
            }
            return false
        }

        private mutating func group() -> Item? {
            if self.peek() == UInt8(ascii: "?") {
                self.index += 1
                guard let kind = self.peek() else { return nil }
                switch kind {
                case UInt8(ascii: ":"), UInt8(ascii: ">"), UInt8(ascii: "|"):
                    self.index += 1
                case UInt8(ascii: "="), UInt8(ascii: "!"):
                    return self.skipGroup() ? Item.assertion : nil
                case UInt8(ascii: "<"):
                    if self.peek(1) == UInt8(ascii: "=") || self.peek(1) == UInt8(ascii: "!") { return self.skipGroup() ? Item.assertion : nil }
                    while let byte = self.peek(), byte != UInt8(ascii: ">") { self.index += 1 }
                    self.index += 1
                case UInt8(ascii: "P"):
                    guard self.peek(1) == UInt8(ascii: "<") else { return nil }
                    while let byte = self.peek(), byte != UInt8(ascii: ">") { self.index += 1 }
                    self.index += 1
                default:
                    // Inline options: `(?i)` applies from here on (the prefilter ignores case anyway), `(?i:...)`
                    // is a group. Extended syntax (`x`) would make spaces and `#` mean other things: given up on.
                    while let byte = self.peek(), byte != UInt8(ascii: ")"), byte != UInt8(ascii: ":") {
                        guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "-") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte),
                            byte != UInt8(ascii: "x")
                        else { return nil }
                        self.index += 1
                    }
                    guard let end = self.peek() else { return nil }
                    self.index += 1
                    if end == UInt8(ascii: ")") { return Item.assertion }
                }
            }
            guard let branches = self.alternation(), self.peek() == UInt8(ascii: ")") else { return nil }
            self.index += 1
            return .group(branches)
        }

        /// Skips a lookaround's body, counting nesting.
        private mutating func skipGroup() -> Bool {
            self.index += 1
            var depth = 1
            while let byte = self.peek() {
                self.index += 1
                switch byte {
                case UInt8(ascii: "\\"): self.index += 1
                case UInt8(ascii: "["): if !self.skipClass() { return false }
                case UInt8(ascii: "("): depth += 1
                case UInt8(ascii: ")"):
                    depth -= 1
                    if depth == 0 { return true }
                default: break
                }
            }
            return false
        }

        /// Reads a quantifier after `item`, if any.
        private mutating func quantifier(_ item: Item) -> Quantified? {
            var result = Quantified(item: item)
            guard let byte = self.peek() else { return result }
            switch byte {
            case UInt8(ascii: "?"): (result.minimum, result.maximum) = (0, 1)
            case UInt8(ascii: "*"): (result.minimum, result.maximum) = (0, nil)
            case UInt8(ascii: "+"): (result.minimum, result.maximum) = (1, nil)
            case UInt8(ascii: "{"):
                switch self.counted() {
                case .literal: return result
                case .unclear: return nil
                case .count(let minimum, let maximum, let end):
                    (result.minimum, result.maximum) = (minimum, maximum)
                    self.index = end
                }
            default:
                return result
            }
            self.index += 1
            if let lazy = self.peek(), lazy == UInt8(ascii: "?") || lazy == UInt8(ascii: "+") { self.index += 1 }
            return result
        }

        /// What a `{` at the index is.
        private enum Brace {
            /// `{m}`, `{m,}` or `{m,n}`, ending at `end` (its `}`).
            case count(minimum: Int, maximum: Int?, end: Int)
            /// A literal `{`, as PCRE2 reads one not followed by a count.
            case literal
            /// A count with spaces or no minimum (`{1, 3}`, `{,3}`), which PCRE2 versions read differently.
            case unclear
        }

        private func counted() -> Brace {
            var end = self.index + 1
            while end < self.bytes.count, self.bytes[end] != UInt8(ascii: "}") { end += 1 }
            guard end < self.bytes.count else { return .literal }
            let body = self.bytes[(self.index + 1)..<end]
            let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
            guard body.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ",") || $0 == 0x20 }) else { return .literal }
            let parts = body.split(separator: UInt8(ascii: ","), maxSplits: 1, omittingEmptySubsequences: false)
            guard !body.isEmpty, !body.contains(0x20), body.filter({ $0 == UInt8(ascii: ",") }).count <= 1, !parts[0].isEmpty,
                let minimum = Int(String(decoding: parts[0], as: UTF8.self))
            else { return body.isEmpty ? .literal : .unclear }
            guard parts.count == 2 else { return .count(minimum: minimum, maximum: minimum, end: end) }
            guard !parts[1].isEmpty else { return .count(minimum: minimum, maximum: nil, end: end) }
            guard let maximum = Int(String(decoding: parts[1], as: UTF8.self)), maximum >= minimum else { return .unclear }
            return .count(minimum: minimum, maximum: maximum, end: end)
        }
    }
}
