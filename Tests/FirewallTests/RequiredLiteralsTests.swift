@testable import Firewall
import FirewallCorpora
import Testing
import TestSupport

@Suite struct RequiredLiteralsTests {
    @Test(arguments: [
        (#"(?i)\bunion\b(?:\s|/\*.*?\*/)*\bselect\b"#, ["select"]),
        (#"\b(?:eval|assert)\s*\("#, ["eval", "assert"]),
        // A run of at least two dots ends with two, so the slash after it joins them.
        (#"(?:^|/)\.{2,}/"#, ["../"]),
        (#"x\(y"#, ["x(y"]),
        // Groups of exact strings join the literals around them, `?` items included.
        (#"<\?(?:php|=)|\[/?php\]"#, ["<?php", "<?=", "[php]", "[/php]"]),
        (#"(?:^|[^\w.$])(?:chr|char|atan2?)\((?!\))"#, ["chr(", "char(", "atan(", "atan2("]),
        (#"(?:a|b)(?:c|d)x*y"#, ["ac", "ad", "bc", "bd"]),
        (#"abc|de"#, ["abc", "de"]),
        // A repetition ends with its item: `a+bc` ends `abc`, as `(?:a|b)+c` ends `ac` or `bc`.
        (#"a+bc"#, ["abc"]),
        (#"(?:a|b)+c"#, ["ac", "bc"]),
        // A short count is spelled out: every count it allows. A literal holding another adds nothing, and goes.
        (#"a{1,3}b"#, ["ab"]),
        (#"a{2,3}b"#, ["aab"]),
        (#"0(?:\.0){0,3}[:/]"#, ["0:", "0/"]),
        // A group whose branches end differently is taken branch by branch with what follows it.
        (#"(?:127\.\d+|0(?:\.0){0,3})[:/]"#, Set((0...9).map { "127.\($0)" } + ["0:", "0/"])),
        (#"(?:[\s"]|^)on(?:load|error)"#, ["onload", "onerror"]),
        // Assertions match no bytes: the literals on either side join.
        (#"^abc$"#, ["abc"]),
        (#"\bfoo(?!bar)\("#, ["foo("]),
        (#"(?i)x\b(?<=x)y"#, ["xy"]),
        // `\d` is ten bytes, `\s` six, inside a class too.
        (#"x[\d.]y"#, Set(("0123456789.").map { "x\($0)y" })),
        (#"\d+|xyz"#, Set(("0123456789").map { String($0) } + ["xyz"])),
        (#"on\sload"#, Set([" ", "\t", "\n", "\u{0B}", "\u{0C}", "\r"].map { "on\($0)load" })),
        // A brace that is no count is a literal brace.
        (#"a{b}"#, ["a{b}"]),
        (#"<[a-z]+"#, Set((UInt8(ascii: "a")...UInt8(ascii: "z")).map { "<" + String(UnicodeScalar($0)) })),
        (#"(?:x|y)z{2,}"#, ["xzz", "yzz"]),
        // Past 256 strings a stretch is cut, and each part is still required: 256 pairs, then the better part.
        (#"[a-p][a-p][a-p]-x"#, Set((UInt8(ascii: "a")...UInt8(ascii: "p")).map { String(UnicodeScalar($0)) + "-x" })),
        (#"\.\./|\.\.\\"#, ["../", "..\\"]),
        (#"\x41B"#, ["ab"]),
        // A small class: a match holds one of its bytes.
        (#"[abc]+"#, ["a", "b", "c"]),
        (#"(?i)['"`]\s*="#, ["'", "\"", "`"]),
        (#"[\x00-\x03\x7f]"#, ["\u{0}", "\u{1}", "\u{2}", "\u{3}", "\u{7F}"]),
        (#"[=<>]"#, ["=", "<", ">"]),
        // A command separator is rarer in ordinary values than a one-letter command, or a common two-letter one.
        (#"(?:;|\|)\s*(?:w|ls|ss)\b"#, [";", "|"]),
        // `on` is one of English's commonest pairs of letters (`onions`, `session`, `json`): a call is rarer.
        (#"(?:^|\s)on\w{3,}\s*=\s*(?:alert|\w+\s*\()"#, ["alert", "("]),
    ] as [(String, Set<String>)])
    func findsRequiredLiterals(pattern: String, expected: Set<String>) {
        #expect(RequiredLiterals.of(pattern) == Set(expected.map { Array($0.utf8) }))
    }

    /// After `compress_whitespace`, `\s` is a space and a run of them one space, so words around it join.
    @Test(arguments: [
        (#"\border\s+by\s+\d"#, Set(("0123456789").map { "order by \($0)" })),
        // What ends a group's branches joins what follows it: a quote or a digit, then `or`. Prose holds `or` alone
        // (`order`, `for`) far more often.
        (#"(?:['"]|\b\d+)\s*\bor\b"#, Set((["'", "\""] + ("0123456789").map { String($0) }).flatMap { [$0 + "or", $0 + " or"] })),
        (#"a\s*b"#, ["ab", "a b"]),
        (#"\binsert\s+into\b|\bdelete\s+from\b"#, ["insert into", "delete from"]),
        (#"x[\s,]y"#, ["x y", "x,y"]),
        // Only `\s` and spaces: another repeated byte is required once, and ends the literal.
        (#"select\t+from"#, ["select\t"]),
    ] as [(String, Set<String>)])
    func joinsWordsAcrossCompressedWhitespace(pattern: String, expected: Set<String>) {
        #expect(RequiredLiterals.of(pattern, whitespaceCompressed: true) == Set(expected.map { Array($0.utf8) }))
    }

    @Test func onlyAChainEndingInCompressWhitespaceCountsAsCompressed() {
        #expect(RuleSet.compressesWhitespace([.urlDecode, .compressWhitespace]))
        #expect(RuleSet.compressesWhitespace([.compressWhitespace, .lowercase]))
        #expect(!RuleSet.compressesWhitespace([.compressWhitespace, .removeNulls]), "a removed NUL can join two spaces")
        #expect(!RuleSet.compressesWhitespace([.compressWhitespace, .urlDecode]), "%20 decodes to another space")
        #expect(!RuleSet.compressesWhitespace([.urlDecode]))
    }

    /// Where a default rule's chain compresses whitespace, a value its regex matches after the chain holds one
    /// of the literals found for compressed whitespace: random values with every kind of whitespace, against
    /// PCRE2.
    @Test func compressedWhitespaceLiteralsAreSoundOnTheDefaultRules() throws {
        let conditions = try Self.defaultConditionsWithLiterals().filter { RuleSet.compressesWhitespace($0.transforms) }
        #expect(conditions.count >= 5, "the default SQL rules compress whitespace")
        let pieces = [
            "order", "by", "group", "select", "from", "insert", "into", "delete", "union", "all", "drop", "table", "1", "'", "\"",
            "(", ")", "--", ";", "#", "=", "*", "x", "@@version", "where", " ", "  ", "\t", "\n", "\r\n ", "\u{0B}", "%20", "%09",
        ]
        let matched = Self.checkSoundness(of: conditions, onValues: 4_000, madeOfUpTo: 10, pieces)
        #expect(matched > 50, "the random values reach the regexes")
    }

    /// Checks ``admits(_:_:matchedBy:)`` for each condition on `count` random values of one to `most` pieces,
    /// each after the condition's chain; returns how many (value, condition) pairs the regexes matched.
    static func checkSoundness(
        of conditions: [(id: Int, pattern: CompiledPattern, transforms: [Transform], literals: Set<[UInt8]>)], onValues count: Int,
        madeOfUpTo most: Int, _ pieces: [String]
    ) -> Int {
        var generator = SystemRandomNumberGenerator()
        var matched = 0
        for _ in 0..<count {
            let value = Array((0..<Int.random(in: 1...most, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "x" }.joined().utf8)
            for condition in conditions {
                let transformed = Transform.apply(condition.transforms, to: value)
                if (try? condition.pattern.matches(transformed)) == true { matched += 1 }
                #expect(Self.admits(condition.literals, transformed, matchedBy: condition.pattern), "rule \(condition.id): \(String(decoding: value, as: UTF8.self).debugDescription)")
            }
        }
        return matched
    }

    /// Every condition of a default rule that gets literals, as the rule set finds them (for compressed
    /// whitespace where its chain ends in `compress_whitespace`), with its chain.
    static func defaultConditionsWithLiterals() throws -> [(id: Int, pattern: CompiledPattern, transforms: [Transform], literals: Set<[UInt8]>)] {
        let set = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
        return set.rules.flatMap { rule in
            ([rule.condition] + rule.chain).compactMap { condition in
                guard !condition.negated, case .regex(let pattern) = condition.operator,
                    let literals = RuleSet.requiredLiterals(condition.operator, whitespaceCompressed: RuleSet.compressesWhitespace(condition.transforms))
                else { return nil }
                return (rule.id, pattern, condition.transforms, literals)
            }
        }
    }

    /// Whether `literals` lets the prefilter pass `value` (after the chain) whenever the regex matches it.
    static func admits(_ literals: Set<[UInt8]>, _ value: [UInt8], matchedBy pattern: CompiledPattern) -> Bool {
        guard (try? pattern.matches(value)) == true else { return true }
        let folded = value.map(AhoCorasick.fold)
        return literals.contains { folded.firstRange(of: $0) != nil }
    }

    /// Random values made of the pieces the default rules' attacks are made of (quotes, digits, keywords,
    /// addresses, whitespace of every kind), against PCRE2: a value a condition's regex matches after its chain
    /// holds one of the condition's literals.
    @Test func literalsAreSoundOnRandomValues() throws {
        let conditions = try Self.defaultConditionsWithLiterals()
        #expect(conditions.count > 50)
        let pieces = [
            "'", "\"", "`", ")", "(", "1", "0", "42", " ", "  ", "\t", "\n", "%20", "%27", "or", "and", "xor", "||", "&&", "not", "=", "<", ">",
            "like", "select", "union", "from", "sleep", "true", "null", "--", "#", ";", "/", ".", ":", "..", "127", "0.0", "0x7f", "localhost",
            "http://", "file://", "[::1]", "@", "<script", "alert", "on", "load", "javascript:", "${", "jndi", "}", "$(", "|", "cat", "etc", "passwd",
            "eval", "x", "?", "&", "-",
        ]
        let matched = Self.checkSoundness(of: conditions, onValues: 3_000, madeOfUpTo: 8, pieces)
        #expect(matched > 500, "the random values reach the regexes")
    }

    /// The same over every value of every request in the CRS regression corpus (attacks and benign cases), as
    /// the firewall splits them into arguments, headers and cookies.
    @Test func literalsAreSoundOnTheCRSCorpus() async throws {
        let failures = try await offloaded {
            let conditions = try Self.defaultConditionsWithLiterals()
            var failures: [String] = []
            for corpusCase in try CRSCorpus(root: Corpora.crs).cases {
                var view = RequestView()
                view.parse(corpusCase.request)
                view.addBody(of: corpusCase.request)
                for entry in 0..<view.count {
                    let value = Array(view.value(entry))
                    // Conditions share chains: each chain's output is computed once per value.
                    var outputs: [[Transform]: [UInt8]] = [:]
                    for condition in conditions {
                        let output = outputs[condition.transforms] ?? Transform.apply(condition.transforms, to: value)
                        outputs[condition.transforms] = output
                        guard !Self.admits(condition.literals, output, matchedBy: condition.pattern) else { continue }
                        failures.append("rule \(condition.id) on \(corpusCase.name): \(String(decoding: value.prefix(80), as: UTF8.self).debugDescription)")
                    }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func keepsBytesThatAreNotUTF8() {
        // Java's serialization magic: the literal is the raw bytes, not their UTF-8 encoding or a replacement.
        #expect(RequiredLiterals.of(#"\xac\xed\x00\x05|rO0AB"#) == [[0xAC, 0xED, 0x00, 0x05], Array("ro0ab".utf8)])
    }

    /// Nothing required, or syntax read differently by PCRE2 versions (`{1, 3}`, `{,3}`) or meaning other things
    /// (extended mode's spaces and comments).
    @Test(arguments: [
        #"a?b?"#, #"[^abc]+"#, #"[\w,]"#, #"[\x00-\x7f]"#, #"\w+|xyz"#, #"(?=abc)\w+"#, #"(a)\1"#, #"x*"#, #"(ab|)c?"#, #"ab{1, 3}c"#,
        #"ab{,3}c"#, #"(?x)a b c"#,
    ])
    func givesUpWhenNothingIsRequired(pattern: String) {
        #expect(RequiredLiterals.of(pattern) == nil)
    }

    @Test func everyDefaultRuleIsSoundOnItsOwnMatches() throws {
        // Where the analysis finds literals, a value the regex matches must contain one of them.
        let samples = ["1' UNION SELECT 1--", "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://x}", "java.lang.Runtime", ";cat /etc/passwd"]
        let set = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
        for rule in set.rules {
            guard case .regex(let pattern) = rule.condition.operator, let literals = RequiredLiterals.of(pattern.source) else { continue }
            for sample in samples where (try? pattern.matches(sample)) == true {
                let folded = sample.utf8.map(AhoCorasick.fold)
                #expect(literals.contains { folded.firstRange(of: $0) != nil }, "rule \(rule.id): \(literals) not in \(sample)")
            }
        }
    }

    /// A single letter or digit among the literals costs the shared scan more than it saves when the condition
    /// reads one value; on a collection of many values the prefilter still skips the values without one.
    @Test func singleLetterLiteralsOnSingleValuesGetNoPrefilter() throws {
        let weak: Set<[UInt8]> = [Array("a".utf8), Array("xyz".utf8)]
        let strong: Set<[UInt8]> = [Array("ab".utf8), Array(";".utf8)]
        #expect(!RuleSet.worthPrefiltering(weak, targets: [TargetSelector(.headers, name: "Host")]))
        #expect(!RuleSet.worthPrefiltering(weak, targets: [TargetSelector(.method), TargetSelector(.path)]))
        #expect(RuleSet.worthPrefiltering(weak, targets: [TargetSelector(.args)]))
        #expect(RuleSet.worthPrefiltering(weak, targets: [TargetSelector(.headers, name: "Host"), TargetSelector(.cookies)]))
        #expect(RuleSet.worthPrefiltering(strong, targets: [TargetSelector(.headers, name: "Host")]))
        // The rule still runs: without its bit, its regex reads the Host header on every request.
        let set = try RuleSetLoader.parse(
            "rules:\n  - {id: 1, message: numeric host, targets: ['headers:host'], operator: regex, argument: '^[0-9.]+$', action: deny}\n",
            file: "test.yaml"
        )
        #expect(set.evaluate(FirewallRequest(method: "GET", uri: "/", headers: [("Host", "10.0.0.1")], clientAddress: "")).verdict == .deny(status: 403))
        #expect(set.evaluate(FirewallRequest(method: "GET", uri: "/", headers: [("Host", "example.com")], clientAddress: "")).verdict == .pass)
    }
}
