/// Tells, in one pass over a value, which conditions could match it: each prefiltered condition needs one of
/// its required literals (``RequiredLiterals``) to be present; the others are skipped without running PCRE2.
///
/// A class, so a scan reached through the rule set retains one reference instead of each of its arrays.
final class LiteralPrefilter: Sendable {
    private let automaton: AhoCorasick
    /// Per state, the conditions (as bits) satisfied by literals ending there; `words` per state.
    private let bits: [UInt64]
    /// Per state, whether `bits` has any bit set (the common case, no, is one load).
    private let hasBits: [Bool]
    /// 64-bit words per bit set.
    let words: Int

    /// Builds the prefilter for `sets`: condition `i` needs one of `sets[i]` (nil: not prefiltered).
    init(_ sets: [Set<[UInt8]>?]) {
        var literals: [[UInt8]] = []
        var owners: [Int] = []
        for (condition, set) in sets.enumerated() {
            for literal in set ?? [] {
                literals.append(literal)
                owners.append(condition)
            }
        }
        self.words = max(1, (sets.count + 63) / 64)
        self.automaton = AhoCorasick(literals)
        var bits = [UInt64](repeating: 0, count: self.automaton.terminal.count * self.words)
        for (state, patterns) in self.automaton.terminal.enumerated() {
            for pattern in patterns {
                let condition = owners[pattern]
                bits[state * self.words + condition / 64] |= 1 << UInt64(condition % 64)
            }
        }
        self.bits = bits
        self.hasBits = self.automaton.terminal.map { !$0.isEmpty }
    }

    /// The conditions whose literals occur in `value`, written into `into` (`words` words from `offset`).
    func scan(_ value: [UInt8], into result: inout [UInt64], offset: Int) {
        let words = self.words
        self.bits.withUnsafeBufferPointer { bits in
            self.hasBits.withUnsafeBufferPointer { hasBits in
                result.withUnsafeMutableBufferPointer { result in
                    self.automaton.walk(value) { state in
                        if hasBits[state] {
                            for word in 0..<words { result[offset + word] |= bits[state * words + word] }
                        }
                        return true
                    }
                }
            }
        }
    }
}
