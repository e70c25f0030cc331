/// Rewrites a regex's long alternations of plain words into a trie, `(?:bash|base64|curl)` becoming
/// `(?:bas(?:h|e64)|curl)`, so a failed attempt tests each first byte once instead of every word in turn.
///
/// Rules list commands, functions and keywords this way, often a hundred or more. PCRE2 (JIT included) tries the
/// alternatives of a group one by one, so a value that reaches such a group without matching (prose after a `;`
/// for the command-injection rules) paid for every word. On the benchmark's JSON POST, 31 regex runs cost 67,000
/// instructions before the rewrite and 42,000 after it.
///
/// The rewrite keeps whether a pattern matches a subject, which is all ``CompiledPattern/matches(_:)`` asks. It
/// may change which alternative matches and where a match ends, so constructs for which that matters
/// (backreferences, atomic groups, possessive quantifiers, verbs, conditionals, recursion, `\Q...\E`, extended
/// mode) leave the pattern as it is. Inside a lookbehind nothing is rewritten: PCRE2 needs its branches'
/// lengths fixed.
enum AlternationFactoring {
    /// Groups with fewer plain-word alternatives than this are left alone: the trie saves too little.
    static let minimumWords = 4

    /// The rewritten pattern, or nil when it has no group worth rewriting or uses a construct the rewrite does
    /// not keep the meaning of.
    static func factored(_ pattern: String) -> String? {
        var parser = Parser(Array(pattern.unicodeScalars))
        guard let output = try? parser.alternation(factor: false, inLookbehind: false), parser.atEnd, parser.changed else { return nil }
        return output
    }

    /// The pattern is outside what the rewrite understands; it is left as written.
    private struct Unsupported: Error {}

    /// One alternative of a group: its text, and its atoms when every one is a plain character.
    private struct Alternative {
        var text = ""
        var atoms: [String] = []
        var isWord = true
        /// Whether it is a word the trie takes: plain characters, at least one.
        var joinsTrie: Bool { self.isWord && !self.atoms.isEmpty }
        /// Whether it sets options for the rest of its group (`(?i)`), which later alternatives inherit: its
        /// group keeps its order.
        var setsOptions = false
    }

    /// A trie node of words: children in first-seen order, and whether a word ends here.
    private final class Node {
        var children: [(atom: String, node: Node)] = []
        var isEnd = false

        func insert(_ atoms: ArraySlice<String>) {
            guard let first = atoms.first else {
                self.isEnd = true
                return
            }
            if let existing = self.children.first(where: { $0.atom == first }) {
                existing.node.insert(atoms.dropFirst())
            } else {
                let child = Node()
                child.insert(atoms.dropFirst())
                self.children.append((first, child))
            }
        }

        /// The branches below this node, one per child.
        var branches: [String] {
            self.children.map { $0.atom + $0.node.suffix }
        }

        /// What may follow the atom leading here: a group of the branches, optional when a word ends here.
        var suffix: String {
            let branches = self.branches
            guard !branches.isEmpty else { return "" }
            if branches.count == 1 && !self.isEnd { return branches[0] }
            return "(?:" + branches.joined(separator: "|") + ")" + (self.isEnd ? "?" : "")
        }
    }

    /// Reads the pattern recursively and copies it, rewriting the `(?:` groups that qualify; throws
    /// ``Unsupported`` at the first construct it does not keep the meaning of.
    private struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0
        var changed = false

        init(_ scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        var atEnd: Bool { self.index >= self.scalars.count }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            self.index + offset < self.scalars.count ? self.scalars[self.index + offset] : nil
        }

        mutating func next() throws(Unsupported) -> Unicode.Scalar {
            guard let scalar = self.peek() else { throw Unsupported() }
            self.index += 1
            return scalar
        }

        /// Reads alternatives up to a `)` (not consumed) or the end; rewrites them as a trie when `factor`.
        mutating func alternation(factor: Bool, inLookbehind: Bool) throws(Unsupported) -> String {
            var alternatives = [try self.sequence(inLookbehind: inLookbehind)]
            while self.peek() == "|" {
                self.index += 1
                alternatives.append(try self.sequence(inLookbehind: inLookbehind))
            }
            let words = alternatives.filter(\.joinsTrie)
            guard factor, !inLookbehind, words.count >= AlternationFactoring.minimumWords, !alternatives.contains(where: \.setsOptions) else {
                return alternatives.map(\.text).joined(separator: "|")
            }
            let root = Node()
            for word in words { root.insert(word.atoms[...]) }
            self.changed = true
            let others = alternatives.filter { !$0.joinsTrie }.map(\.text)
            return (root.branches + others).joined(separator: "|")
        }

        /// Reads one alternative: atoms, groups and quantifiers up to `|`, `)` or the end.
        mutating func sequence(inLookbehind: Bool) throws(Unsupported) -> Alternative {
            var alternative = Alternative()
            while let scalar = self.peek(), scalar != "|", scalar != ")" {
                let (text, kind) = try self.atom(inLookbehind: inLookbehind)
                alternative.text += text
                switch kind {
                case .plain: alternative.atoms.append(text)
                case .other: alternative.isWord = false
                case .options:
                    alternative.isWord = false
                    alternative.setsOptions = true
                }
                if let quantifier = try self.quantifier() {
                    alternative.text += quantifier
                    alternative.isWord = false
                }
            }
            return alternative
        }

        /// What an atom is, for the words of its alternative.
        enum AtomKind {
            /// A character matched as itself (possibly escaped punctuation).
            case plain
            /// An option setting such as `(?i)`.
            case options
            /// Anything else.
            case other
        }

        /// One atom's text and kind.
        mutating func atom(inLookbehind: Bool) throws(Unsupported) -> (String, AtomKind) {
            let scalar = try self.next()
            switch scalar {
            case "\\":
                let (text, isPlain) = try self.escape()
                return (text, isPlain ? .plain : .other)
            case "[": return (try self.characterClass(), .other)
            case "(":
                let (text, setsOptions) = try self.group(inLookbehind: inLookbehind)
                return (text, setsOptions ? .options : .other)
            case ".", "^", "$", "{":
                // A `{` here is not a quantifier (that was read after the atom before), so it is itself; kept
                // out of words all the same.
                return (String(scalar), .other)
            case "*", "+", "?":
                // A quantifier with nothing before it, which PCRE2 rejects.
                throw Unsupported()
            default:
                // Bytes outside ASCII are several code units, and a quantifier would apply to the last only.
                return (String(scalar), scalar.isASCII ? .plain : .other)
            }
        }

        /// After a `\`: an escaped punctuation mark is plain; other escapes are kept as written.
        mutating func escape() throws(Unsupported) -> (String, Bool) {
            let scalar = try self.next()
            guard scalar.isASCII else { throw Unsupported() }
            let character = Character(scalar)
            if !character.isLetter && !character.isNumber { return ("\\" + String(scalar), true) }
            var text = "\\" + String(scalar)
            switch scalar {
            case "Q", "E", "g", "k", "K", "G", "R", "X", "C":
                // Quoting, backreferences, match-start resets and the like change what a reordering keeps.
                throw Unsupported()
            case "1"..."9":
                throw Unsupported()
            case "0":
                while text.count < 4, let digit = self.peek(), ("0"..."7").contains(digit) { text += String(try self.next()) }
            case "c":
                text += String(try self.next())
            case "x", "o", "p", "P", "N":
                if self.peek() == "{" {
                    while let inner = self.peek(), inner != "}" { text += String(try self.next()) }
                    text += String(try self.next())
                } else if scalar == "x" {
                    while text.count < 4, let digit = self.peek(), digit.properties.isASCIIHexDigit { text += String(try self.next()) }
                } else if scalar == "p" || scalar == "P" {
                    text += String(try self.next())
                }
            default:
                break
            }
            return (text, false)
        }

        /// A character class after its `[`, through its `]`.
        mutating func characterClass() throws(Unsupported) -> String {
            var text = "["
            if self.peek() == "^" { text += String(try self.next()) }
            // A `]` first is a member, not the end.
            if self.peek() == "]" { text += String(try self.next()) }
            while true {
                let scalar = try self.next()
                text += String(scalar)
                switch scalar {
                case "]":
                    return text
                case "\\":
                    let escaped = try self.next()
                    if escaped == "Q" || escaped == "E" { throw Unsupported() }
                    text += String(escaped)
                case "[" where self.peek() == ":" || self.peek() == "." || self.peek() == "=":
                    // A POSIX class such as `[:alpha:]`.
                    while let inner = self.peek(), inner != "]" { text += String(try self.next()) }
                    text += String(try self.next())
                default:
                    break
                }
            }
        }

        /// A group after its `(`, through its `)`, and whether it is an option setting; only `(?:` groups have
        /// their words rewritten.
        mutating func group(inLookbehind: Bool) throws(Unsupported) -> (String, Bool) {
            var opening = "("
            var factor = false
            var lookbehind = inLookbehind
            if self.peek() == "*" { throw Unsupported() }
            if self.peek() == "?" {
                opening += String(try self.next())
                let kind = try self.next()
                opening += String(kind)
                switch kind {
                case ":":
                    factor = true
                case "=", "!":
                    break
                case "<" where self.peek() == "=" || self.peek() == "!":
                    opening += String(try self.next())
                    lookbehind = true
                case "<", "'":
                    // A named group: its name, then its contents.
                    let close: Unicode.Scalar = kind == "<" ? ">" : "'"
                    while let inner = self.peek(), inner != close { opening += String(try self.next()) }
                    opening += String(try self.next())
                case "#":
                    while let inner = self.peek(), inner != ")" { opening += String(try self.next()) }
                    return (opening + String(try self.next()), false)
                default:
                    // Option letters, as `(?i)` or `(?i:`; anything else (atomic groups, recursion, conditionals,
                    // branch resets, callouts) is left alone.
                    guard kind.properties.isAlphabetic || kind == "-" || kind == "^" else { throw Unsupported() }
                    var flags = String(kind)
                    while let inner = self.peek(), inner.properties.isAlphabetic || inner == "-" {
                        flags += String(try self.next())
                    }
                    guard flags.allSatisfy({ "imnsU-^".contains($0) }) else { throw Unsupported() }
                    opening += String(flags.dropFirst())
                    let end = try self.next()
                    opening += String(end)
                    if end == ")" { return (opening, true) }
                    guard end == ":" else { throw Unsupported() }
                }
            }
            let contents = try self.alternation(factor: factor, inLookbehind: lookbehind)
            guard try self.next() == ")" else { throw Unsupported() }
            return (opening + contents + ")", false)
        }

        /// A quantifier after an atom, if one follows; a possessive one is not kept by a rewrite.
        mutating func quantifier() throws(Unsupported) -> String? {
            var text: String
            switch self.peek() {
            case "*", "+", "?":
                text = String(try self.next())
            case "{":
                // `{` starts a quantifier only as `{n}`, `{n,}` or `{n,m}`; otherwise it is a plain character.
                var length = 1
                var sawDigit = false
                while let scalar = self.peek(length), ("0"..."9").contains(scalar) || scalar == "," {
                    sawDigit = sawDigit || scalar != ","
                    length += 1
                }
                guard sawDigit, self.peek(length) == "}" else { return nil }
                text = ""
                for _ in 0...length { text += String(try self.next()) }
            default:
                return nil
            }
            if self.peek() == "+" { throw Unsupported() }
            if self.peek() == "?" { text += String(try self.next()) }
            return text
        }
    }
}
