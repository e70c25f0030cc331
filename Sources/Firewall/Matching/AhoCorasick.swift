/// A multi-pattern automaton over bytes, ASCII case ignored: a dense transition table over byte classes (only
/// bytes that occur in patterns get their own column), built once and shared by ``PhraseMatcher`` and the
/// firewall's literal prefilter.
struct AhoCorasick: Sendable {
    /// Byte to column; bytes in no pattern share column 0.
    let byteClass: [UInt8]
    let classCount: Int
    /// `transitions[state * classCount + class]` is the next state.
    let transitions: [Int32]
    /// For each state, the patterns (by index) that end there, failure links included.
    let terminal: [[Int]]

    /// Builds the automaton; empty patterns never match.
    init(_ patterns: [[UInt8]]) {
        let folded = patterns.map { $0.map(Self.fold) }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classCount = 1
        for pattern in folded {
            for byte in pattern where byteClass[Int(byte)] == 0 {
                precondition(classCount < 256, "more than 255 distinct bytes")
                byteClass[Int(byte)] = UInt8(classCount)
                classCount += 1
            }
        }
        for upper in UInt8(ascii: "A")...UInt8(ascii: "Z") { byteClass[Int(upper)] = byteClass[Int(upper | 0x20)] }

        // The trie, then failure links breadth-first, folded into a full transition table.
        var goto: [[Int32]] = [[Int32](repeating: -1, count: classCount)]
        var terminal: [[Int]] = [[]]
        for (index, pattern) in folded.enumerated() where !pattern.isEmpty {
            var state = 0
            for byte in pattern {
                let column = Int(byteClass[Int(byte)])
                if goto[state][column] < 0 {
                    goto[state][column] = Int32(goto.count)
                    goto.append([Int32](repeating: -1, count: classCount))
                    terminal.append([])
                }
                state = Int(goto[state][column])
            }
            terminal[state].append(index)
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
            if failure[state] != 0 { terminal[state] += terminal[Int(failure[state])] }
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
        self.terminal = terminal
    }

    /// Calls `visit` with each state reached while reading `subject`; stops when it returns false.
    @inline(__always)
    func walk(_ subject: some Sequence<UInt8>, _ visit: (Int) -> Bool) {
        self.byteClass.withUnsafeBufferPointer { classes in
            self.transitions.withUnsafeBufferPointer { table in
                var state = 0
                for byte in subject {
                    state = Int(table[state &* self.classCount &+ Int(classes[Int(byte)])])
                    if !visit(state) { return }
                }
            }
        }
    }

    static func fold(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
