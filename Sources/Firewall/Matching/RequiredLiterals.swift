#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds literals a regex cannot match without: a set of strings of which every match contains at least one.
///
/// The firewall uses them as a prefilter: one Aho-Corasick pass over a value tells which regexes could match
/// it, and the others are not run. The analysis is conservative: anything it does not understand (classes,
/// lookarounds, back-references, optional parts) contributes no literal, and a pattern where some branch has
/// no literal gets no prefilter at all (nil). Literals are lower-cased; the prefilter compares without regard
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
        return self.union(branches)
    }

    /// One item of a sequence after parsing.
    indirect enum Item {
        /// A literal byte.
        case byte(UInt8)
        /// A group: one of its branches matched (each branch a sequence).
        case group([[Item]])
        /// Anything else that consumes input (class, `.`, `\d`...) or asserts (anchors, `\b`, lookarounds).
        case other
    }

    /// A mandatory item, or an optional one (`?`, `*`, `{0,}`): one taken at most once may still be part of an
    /// exact stretch (`atan2?` is `atan` or `atan2`); others contribute nothing.
    struct Quantified {
        var item: Item
        var mandatory: Bool
        /// Repeated (`+`, `*`, `{2,}`): a literal run cannot continue through the item.
        var repeated: Bool
        /// The least number of repetitions (1 unless a `{n,...}` quantifier says more).
        var minimum = 1
    }

    /// The best requirement of a sequence: its most selective stretch of exact items or mandatory group.
    ///
    /// A stretch is a run of literal bytes and groups whose branches are themselves exact strings; it stands for
    /// every concatenation of them, so `(?:chr|char)\(` requires `chr(` or `char(`, which filters far more than
    /// `chr` or `char` alone (`Chrome` holds `chr`).
    static func best(_ sequence: [Item]) -> Set<[UInt8]>? {
        var candidates: [Set<[UInt8]>] = []
        // The exact byte strings the current stretch matches; nil outside a stretch.
        var stretch: Set<[UInt8]>?
        func endStretch() {
            if let set = stretch, !set.contains([]) { candidates.append(set) }
            stretch = nil
        }
        func extend(_ set: Set<[UInt8]>) {
            let current = stretch ?? [[]]
            guard current.count * set.count <= self.stretchLimit else {
                // Each half is still required on its own.
                endStretch()
                stretch = set
                return
            }
            stretch = Set(current.flatMap { prefix in set.map { prefix + $0 } })
        }
        // Branches come from `Parser.mandatoryItems`: repetitions are spelled out, and optional or repeated items
        // are already `.other` or a group with an empty branch, so each item here is matched exactly once.
        for item in sequence {
            switch item {
            case .byte(let byte):
                extend([[AhoCorasick.fold(byte)]])
            case .group(let branches):
                if let exact = self.exact(branches) {
                    extend(exact)
                } else {
                    endStretch()
                    if let set = self.union(branches) { candidates.append(set) }
                }
            case .other:
                endStretch()
            }
        }
        endStretch()
        return candidates.max { self.score($0) < self.score($1) }
    }

    /// The most strings a stretch stands for; beyond it, a stretch is cut in two.
    static let stretchLimit = 256

    /// Every byte string a group can match, when each branch is literal bytes and such groups only
    /// (lower-cased); nil otherwise, or when there are more than ``stretchLimit``.
    static func exact(_ branches: [[Item]]) -> Set<[UInt8]>? {
        var result: Set<[UInt8]> = []
        for branch in branches {
            var strings: Set<[UInt8]> = [[]]
            for item in branch {
                let next: Set<[UInt8]>
                switch item {
                case .byte(let byte): next = [[AhoCorasick.fold(byte)]]
                case .group(let inner):
                    guard let set = self.exact(inner) else { return nil }
                    next = set
                case .other: return nil
                }
                guard strings.count * next.count <= self.stretchLimit else { return nil }
                strings = Set(strings.flatMap { prefix in next.map { prefix + $0 } })
            }
            result.formUnion(strings)
            guard result.count <= self.stretchLimit else { return nil }
        }
        return result
    }

    /// Each branch must contribute; the set is the union of their best literals.
    static func union(_ branches: [[Item]]) -> Set<[UInt8]>? {
        var result: Set<[UInt8]> = []
        for branch in branches {
            guard let best = self.best(branch) else { return nil }
            result.formUnion(best)
        }
        return result.isEmpty ? nil : result
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
                    branches.append(Self.mandatoryItems(current))
                    current = []
                    continue
                }
                guard let item = self.atom() else { return nil }
                guard let quantified = self.quantifier(item) else { return nil }
                current.append(quantified)
            }
            branches.append(Self.mandatoryItems(current))
            return branches
        }

        /// An item taken at most once (`?`) becomes a group with an empty branch, other optional items become
        /// `.other`, and repeated literals end runs (a `.other` after them), so a branch is a plain sequence of
        /// mandatory items.
        static func mandatoryItems(_ sequence: [Quantified]) -> [Item] {
            var items: [Item] = []
            for element in sequence {
                guard element.mandatory else {
                    items.append(element.repeated ? .other : .group([[element.item], []]))
                    continue
                }
                if case .byte = element.item {
                    items += repeatElement(element.item, count: element.minimum)
                } else {
                    items.append(element.item)
                }
                if element.repeated { items.append(.other) }
            }
            return items
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
            case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
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
            case UInt8(ascii: "s") where self.whitespaceCompressed: return .byte(0x20)
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
                    // Inside a class as outside: a literal byte, or something this reader does not model.
                    guard case .byte(let escaped) = self.escape() else { return nil }
                    value = escaped
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
                    return self.skipGroup() ? .other : nil
                case UInt8(ascii: "<"):
                    if self.peek(1) == UInt8(ascii: "=") || self.peek(1) == UInt8(ascii: "!") { return self.skipGroup() ? .other : nil }
                    while let byte = self.peek(), byte != UInt8(ascii: ">") { self.index += 1 }
                    self.index += 1
                case UInt8(ascii: "P"):
                    guard self.peek(1) == UInt8(ascii: "<") else { return nil }
                    while let byte = self.peek(), byte != UInt8(ascii: ">") { self.index += 1 }
                    self.index += 1
                default:
                    // Inline options: `(?i)` applies from here on (the prefilter ignores case anyway), `(?i:...)`
                    // is a group.
                    while let byte = self.peek(), byte != UInt8(ascii: ")"), byte != UInt8(ascii: ":") {
                        guard (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || byte == UInt8(ascii: "-") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) else { return nil }
                        self.index += 1
                    }
                    guard let end = self.peek() else { return nil }
                    self.index += 1
                    if end == UInt8(ascii: ")") { return .other }
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
            var result = Quantified(item: item, mandatory: true, repeated: false)
            guard let byte = self.peek() else { return result }
            switch byte {
            case UInt8(ascii: "?"), UInt8(ascii: "*"):
                self.index += 1
                result.mandatory = false
                result.repeated = byte == UInt8(ascii: "*")
            case UInt8(ascii: "+"):
                self.index += 1
                result.repeated = true
            case UInt8(ascii: "{"):
                var end = self.index + 1
                while end < self.bytes.count, self.bytes[end] != UInt8(ascii: "}") { end += 1 }
                guard end < self.bytes.count else { return result }  // a literal `{`
                let body = String(decoding: self.bytes[(self.index + 1)..<end], as: UTF8.self)
                let minimum = body.split(separator: ",", omittingEmptySubsequences: false).first.flatMap { Int($0) }
                guard let minimum else { return result }
                self.index = end + 1
                result.mandatory = minimum > 0
                result.repeated = true
                result.minimum = max(1, min(minimum, 8))
            default:
                return result
            }
            if let lazy = self.peek(), lazy == UInt8(ascii: "?") || lazy == UInt8(ascii: "+") { self.index += 1 }
            // In compressed whitespace, spaces never come two in a row: a repeated space is one space.
            if self.whitespaceCompressed, case .byte(0x20) = item { result.repeated = false }
            return result
        }
    }
}
