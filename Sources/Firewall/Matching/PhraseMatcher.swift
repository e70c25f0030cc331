/// Finds whether any of many literal phrases occurs in a subject, in one pass over its bytes (Aho-Corasick).
///
/// Matching ignores ASCII case, as ModSecurity's `@pm` does. The automaton is a dense table over byte classes
/// (only the bytes that occur in phrases get their own column), so a step is one load and memory stays small
/// for thousands of phrases.
public struct PhraseMatcher: Sendable {
    /// Byte to column; bytes in no phrase share column 0.
    private let byteClass: [UInt8]
    private let classCount: Int
    /// `transitions[state * classCount + class]` is the next state.
    private let transitions: [Int32]
    /// Whether reaching the state means some phrase ended here.
    private let accepting: [Bool]

    /// The phrases, as given.
    public let phrases: [String]

    /// Builds the automaton for `phrases`; empty phrases are ignored.
    public init(_ phrases: [String]) {
        self.phrases = phrases
        let patterns = phrases.map { Array($0.utf8).map(Self.fold) }.filter { !$0.isEmpty }

        var byteClass = [UInt8](repeating: 0, count: 256)
        var classCount = 1
        for pattern in patterns {
            for byte in pattern where byteClass[Int(byte)] == 0 {
                precondition(classCount < 256, "more than 255 distinct bytes")
                byteClass[Int(byte)] = UInt8(classCount)
                classCount += 1
            }
        }
        for upper in UInt8(ascii: "A")...UInt8(ascii: "Z") { byteClass[Int(upper)] = byteClass[Int(upper | 0x20)] }

        // The trie, then failure links breadth-first, folded into a full transition table.
        var goto: [[Int32]] = [[Int32](repeating: -1, count: classCount)]
        var accepting = [false]
        for pattern in patterns {
            var state = 0
            for byte in pattern {
                let column = Int(byteClass[Int(byte)])
                if goto[state][column] < 0 {
                    goto[state][column] = Int32(goto.count)
                    goto.append([Int32](repeating: -1, count: classCount))
                    accepting.append(false)
                }
                state = Int(goto[state][column])
            }
            accepting[state] = true
        }
        var failure = [Int32](repeating: 0, count: goto.count)
        var queue: [Int] = []
        for column in 0..<classCount {
            if goto[0][column] < 0 {
                goto[0][column] = 0
            } else {
                queue.append(Int(goto[0][column]))
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            accepting[state] = accepting[state] || accepting[Int(failure[state])]
            for column in 0..<classCount {
                let next = goto[state][column]
                if next < 0 {
                    goto[state][column] = goto[Int(failure[state])][column]
                } else {
                    failure[Int(next)] = goto[Int(failure[state])][column]
                    queue.append(Int(next))
                }
            }
        }
        self.byteClass = byteClass
        self.classCount = classCount
        self.transitions = goto.flatMap { $0 }
        self.accepting = accepting
    }

    /// Whether any phrase occurs in `subject`.
    public func matches(_ subject: [UInt8]) -> Bool {
        guard self.accepting.count > 1 else { return false }
        return self.byteClass.withUnsafeBufferPointer { classes in
            self.transitions.withUnsafeBufferPointer { table in
                self.accepting.withUnsafeBufferPointer { accepting in
                    var state = 0
                    for byte in subject {
                        state = Int(table[state &* self.classCount &+ Int(classes[Int(byte)])])
                        if accepting[state] { return true }
                    }
                    return false
                }
            }
        }
    }

    private static func fold(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
