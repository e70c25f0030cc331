/// Finds whether any of many literal phrases occurs in a subject, in one pass over its bytes (Aho-Corasick).
///
/// Matching ignores ASCII case, as ModSecurity's `@pm` does.
public struct PhraseMatcher: Sendable {
    private let automaton: AhoCorasick
    /// Whether reaching the state means some phrase ended here.
    private let accepting: [Bool]

    /// The phrases, as given.
    public let phrases: [String]

    /// Builds the automaton for `phrases`; empty phrases are ignored.
    public init(_ phrases: [String]) {
        self.phrases = phrases
        self.automaton = AhoCorasick(phrases.map { Array($0.utf8) })
        self.accepting = self.automaton.terminal.map { !$0.isEmpty }
    }

    /// Whether any phrase occurs in `subject`.
    public func matches(_ subject: some Sequence<UInt8>) -> Bool {
        guard self.accepting.count > 1 else { return false }
        var found = false
        self.accepting.withUnsafeBufferPointer { accepting in
            self.automaton.walk(subject) { state in
                found = accepting[state]
                return !found
            }
        }
        return found
    }
}
