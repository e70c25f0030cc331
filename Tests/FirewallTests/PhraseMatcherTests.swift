import Firewall
import Testing

@Suite struct PhraseMatcherTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func findsAnyPhraseIgnoringASCIICase() {
        let matcher = PhraseMatcher(["sqlmap", "nikto", "Nmap Scripting Engine"])
        #expect(matcher.matches(Self.bytes("Mozilla/5.0 (compatible; NMAP scripting engine)")))
        #expect(matcher.matches(Self.bytes("sqlmap/1.7")))
        #expect(!matcher.matches(Self.bytes("Mozilla/5.0 (X11; Linux x86_64)")))
        #expect(!matcher.matches(Self.bytes("")))
    }

    @Test func followsFailureLinksAcrossOverlappingPhrases() {
        // "abcd" fails at "x" after "abc"; the suffix "bc" must still lead into "bcx".
        let matcher = PhraseMatcher(["abcd", "bcx", "she", "hers"])
        #expect(matcher.matches(Self.bytes("zabcx")))
        #expect(matcher.matches(Self.bytes("ushers")))
        #expect(!matcher.matches(Self.bytes("abcabdbc")))
    }

    @Test func anEmptyListMatchesNothing() {
        #expect(!PhraseMatcher([]).matches(Self.bytes("anything")))
        #expect(!PhraseMatcher([""]).matches(Self.bytes("anything")))
    }
}
