@testable import Firewall
import Testing

@Suite struct RequiredLiteralsTests {
    @Test(arguments: [
        (#"(?i)\bunion\b(?:\s|/\*.*?\*/)*\bselect\b"#, ["select"]),
        (#"\b(?:eval|assert)\s*\("#, ["eval", "assert"]),
        (#"(?:^|/)\.{2,}/"#, [".."]),
        (#"x\(y"#, ["x(y"]),
        // Groups of exact strings join the literals around them, `?` items included.
        (#"<\?(?:php|=)|\[/?php\]"#, ["<?php", "<?=", "[php]", "[/php]"]),
        (#"(?:^|[^\w.$])(?:chr|char|atan2?)\((?!\))"#, ["chr(", "char(", "atan(", "atan2("]),
        (#"(?:a|b)(?:c|d)x*y"#, ["ac", "ad", "bc", "bd"]),
        (#"abc|de"#, ["abc", "de"]),
        (#"a+bc"#, ["bc"]),
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
        (#"\border\s+by\s+\d"#, ["order by "]),
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
        let set = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
        let rules = set.rules.compactMap { rule -> (Int, CompiledPattern, [Transform], Set<[UInt8]>)? in
            guard case .regex(let pattern) = rule.condition.operator, RuleSet.compressesWhitespace(rule.condition.transforms),
                let literals = RequiredLiterals.of(pattern.source, whitespaceCompressed: true)
            else { return nil }
            return (rule.id, pattern, rule.condition.transforms, literals)
        }
        #expect(rules.count >= 5, "the default SQL rules compress whitespace")
        let pieces = [
            "order", "by", "group", "select", "from", "insert", "into", "delete", "union", "all", "drop", "table", "1", "'", "\"",
            "(", ")", "--", ";", "#", "=", "*", "x", "@@version", "where", " ", "  ", "\t", "\n", "\r\n ", "\u{0B}", "%20", "%09",
        ]
        var generator = SystemRandomNumberGenerator()
        var matched = 0
        for _ in 0..<4_000 {
            let value = (0..<Int.random(in: 1...10, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "x" }.joined()
            for (id, pattern, transforms, literals) in rules {
                let transformed = Transform.apply(transforms, to: Array(value.utf8))
                guard (try? pattern.matches(transformed)) == true else { continue }
                matched += 1
                let folded = transformed.map(AhoCorasick.fold)
                #expect(literals.contains { folded.firstRange(of: $0) != nil }, "rule \(id): \(value.debugDescription)")
            }
        }
        #expect(matched > 50, "the random values reach the regexes")
    }

    @Test func keepsBytesThatAreNotUTF8() {
        // Java's serialization magic: the literal is the raw bytes, not their UTF-8 encoding or a replacement.
        #expect(RequiredLiterals.of(#"\xac\xed\x00\x05|rO0AB"#) == [[0xAC, 0xED, 0x00, 0x05], Array("ro0ab".utf8)])
    }

    @Test(arguments: [#"a?b?"#, #"[^abc]+"#, #"[\d,]"#, #"[\x00-\x7f]"#, #"\d+|xyz"#, #"(?=abc)\w+"#, #"(a)\1"#, #"x*"#, #"(ab|)c?"#])
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
