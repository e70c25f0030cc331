/// Tells, in one pass over a value, which conditions could match it: each prefiltered condition needs one of
/// its required literals (``RequiredLiterals``) to be present; the others are skipped without running PCRE2.
///
/// A class, so a scan reached through the rule set retains one reference instead of each of its arrays.
final class LiteralPrefilter: Sendable {
    /// Byte to column of ``rows`` (the automaton's byte classes).
    private let byteClass: [UInt8]
    /// The automaton, one row per state (three slots and one per byte class, rounded up to an even count),
    /// addressed by the row's first slot:
    /// - slots 0 and 1: the first result word (its low and high half) of the conditions satisfied by literals
    ///   ending in the state, so a scan ORs it in with one load per byte and no branch;
    /// - slot 2: where the state's further result words start in ``extraBits``, or -1 when they are all zero
    ///   (always -1 with one result word);
    /// - slot 3 + class: the row of the next state.
    ///
    /// Rows hold the next row's address rather than a state number, so a step is one load and one add, with no
    /// multiply waiting on the previous step.
    private let rows: [Int32]
    private let extraBits: [UInt64]
    /// 64-bit words per bit set.
    let words: Int
    /// The bytes the second half of a split value starts before its midpoint: the longest literal less one. A
    /// literal that ends in the second half starts no earlier, so the halves together find every literal.
    private let overlap: Int
    /// ``TransformTriggers/table`` and ``TransformTriggers/nextOffsets``, held here: a `static let` read checks
    /// that it was initialized, twice per scan.
    private let classTable = TransformTriggers.table
    private let nextOffsets = TransformTriggers.nextOffsets

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
        let words = max(1, (sets.count + 63) / 64)
        let automaton = AhoCorasick(literals)
        let states = automaton.terminal.count
        // Even, so that each row's first result word is 8-byte aligned.
        let rowWidth = (3 + automaton.classCount + 1) & ~1
        precondition(states * rowWidth <= Int(Int32.max), "the rules' literals make a prefilter automaton of \(states) states, more than its 32-bit rows can address")
        var rows = [Int32](repeating: 0, count: states * rowWidth)
        var extraBits: [UInt64] = []
        for (state, patterns) in automaton.terminal.enumerated() {
            var bits = [UInt64](repeating: 0, count: words)
            for pattern in patterns {
                let condition = owners[pattern]
                bits[condition / 64] |= 1 << UInt64(condition % 64)
            }
            let row = state * rowWidth
            rows[row] = Int32(truncatingIfNeeded: bits[0])
            rows[row + 1] = Int32(truncatingIfNeeded: bits[0] >> 32)
            rows[row + 2] = -1
            if bits.dropFirst().contains(where: { $0 != 0 }) {
                rows[row + 2] = Int32(extraBits.count)
                extraBits += bits.dropFirst()
            }
            for column in 0..<automaton.classCount {
                rows[row + 3 + column] = automaton.transitions[state * automaton.classCount + column] * Int32(rowWidth)
            }
        }
        self.byteClass = automaton.byteClass
        self.rows = rows
        self.extraBits = extraBits
        self.words = words
        self.overlap = max(0, (literals.map(\.count).max() ?? 0) - 1)
    }

    /// The conditions whose literals occur in `value`, written into `into` (`words` words from `offset`), for a
    /// value scanned on its own (a transform's output). Raw values are scanned many at a time through
    /// ``withScanner(_:)``, which can also summarize their byte classes.
    func scanWithoutClasses(_ value: ArraySlice<UInt8>, into result: inout [UInt64], offset: Int) {
        precondition(offset >= 0 && offset + self.words <= result.count, "a result row outside the array")
        value.withUnsafeBufferPointer { value in
            result.withUnsafeMutableBufferPointer { result in
                _ = self.withScanner { $0.scan(value, into: result.baseAddress.unsafelyUnwrapped + offset, summarizing: false) }
            }
        }
    }

    /// Calls `body` with a scanner that reads this prefilter's tables through pointers, valid during the call.
    ///
    /// An evaluation scans a hundred and more values at once; reaching the tables once for all of them, rather
    /// than once per value, saves a retain, a release and a dozen loads per value.
    @inline(__always)
    func withScanner<Result>(_ body: (Scanner) -> Result) -> Result {
        self.byteClass.withUnsafeBufferPointer { byteClass in
            self.rows.withUnsafeBufferPointer { rows in
                self.extraBits.withUnsafeBufferPointer { extraBits in
                    self.classTable.withUnsafeBufferPointer { classTable in
                        self.nextOffsets.withUnsafeBufferPointer { nextOffsets in
                            body(
                                Scanner(
                                    words: self.words, overlap: self.overlap, byteClass: byteClass, rows: rows, extraBits: extraBits,
                                    classTable: classTable, nextOffsets: nextOffsets
                                )
                            )
                        }
                    }
                }
            }
        }
    }

    /// The prefilter's tables as pointers, for scanning many values in one ``withScanner(_:)`` call; not to be
    /// kept past it.
    ///
    /// Each step of the automaton waits for the one before (the next row's address is what the step loads), so
    /// one walk leaves the processor idle most of each step. A scanner therefore walks two values at once, each
    /// step of one beside a step of the other: two values of a pair, or the two halves of a long value.
    struct Scanner {
        fileprivate let words: Int
        fileprivate let overlap: Int
        fileprivate let byteClass: UnsafeBufferPointer<UInt8>
        fileprivate let rows: UnsafeBufferPointer<Int32>
        fileprivate let extraBits: UnsafeBufferPointer<UInt64>
        fileprivate let classTable: UnsafeBufferPointer<UInt32>
        fileprivate let nextOffsets: UnsafeBufferPointer<UInt16>

        /// Values this long or longer are walked as two halves, side by side; shorter ones are not worth the
        /// overlap the second half reads twice, and are better paired with another value.
        var splitLength: Int { max(128, 4 &* self.overlap) }

        /// Sets the bits of the conditions whose literals occur in `value` in the `words` words at `result`.
        /// When `summarizing`, returns the value's byte classes (``TransformTriggers/classes(of:)``), else 0
        /// (which an evaluation reads as "not known yet").
        ///
        /// The byte classes are summarized in the same pass, which the evaluation needs for nearly every value it
        /// scans: two more loads per byte, beside a walk whose every step waits for the previous one.
        @inline(__always)
        func scan(_ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>, summarizing: Bool) -> UInt32 {
            switch (summarizing, self.words == 1) {
            case (true, true): self.scan(value, into: result, summary: Summarized.self, width: OneWord.self)
            case (true, false): self.scan(value, into: result, summary: Summarized.self, width: ManyWords.self)
            case (false, true): self.scan(value, into: result, summary: NotSummarized.self, width: OneWord.self)
            case (false, false): self.scan(value, into: result, summary: NotSummarized.self, width: ManyWords.self)
            }
        }

        /// ``scan(_:into:summarizing:)`` of two values at once, each into its own result. For values shorter
        /// than ``splitLength``: a longer one is better scanned alone, in halves.
        @inline(__always)
        func scan(
            _ first: UnsafeBufferPointer<UInt8>, into firstResult: UnsafeMutablePointer<UInt64>, _ second: UnsafeBufferPointer<UInt8>,
            into secondResult: UnsafeMutablePointer<UInt64>, summarizing: Bool
        ) -> (UInt32, UInt32) {
            let lanes = (Lane(first, into: firstResult), Lane(second, into: secondResult))
            switch (summarizing, self.words == 1) {
            case (true, true): return self.walk(lanes.0, lanes.1, Summarized.self, OneWord.self)
            case (true, false): return self.walk(lanes.0, lanes.1, Summarized.self, ManyWords.self)
            case (false, true): return self.walk(lanes.0, lanes.1, NotSummarized.self, OneWord.self)
            case (false, false): return self.walk(lanes.0, lanes.1, NotSummarized.self, ManyWords.self)
            }
        }

        /// One value: a long one in two halves, the second starting ``overlap`` bytes early (with the byte class
        /// state the byte before it leaves), so a literal or byte pair across the midpoint is seen whole.
        @inline(__always)
        private func scan<Summary: ClassSummary, Width: ResultWidth>(
            _ value: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>, summary: Summary.Type, width: Width.Type
        ) -> UInt32 {
            guard value.count >= self.splitLength else {
                return self.walk(Lane(value, into: result), Lane(UnsafeBufferPointer(rebasing: value[0..<0]), into: result), summary, width).0
            }
            let middle = value.count / 2
            let secondStart = middle - self.overlap
            var second = Lane(UnsafeBufferPointer(rebasing: value[secondStart...]), into: result)
            if secondStart > 0 { second.previous = Int(self.nextOffsets[Int(value[secondStart - 1])]) }
            let (first, rest) = self.walk(Lane(UnsafeBufferPointer(rebasing: value[..<middle]), into: result), second, summary, width)
            return first | rest
        }

        /// Walks both lanes, a step of each per round while both last, then the longer one's rest; ORs each
        /// lane's conditions into its result and returns each lane's byte classes.
        @inline(__always)
        private func walk<Summary: ClassSummary, Width: ResultWidth>(
            _ first: Lane, _ second: Lane, _ summary: Summary.Type, _ width: Width.Type
        ) -> (UInt32, UInt32) {
            var (first, second) = (first, second)
            let shared = min(first.bytes.count, second.bytes.count)
            var index = 0
            while index < shared {
                self.step(&first, first.bytes[index], summary, width)
                self.step(&second, second.bytes[index], summary, width)
                index &+= 1
            }
            for byte in first.bytes[index...] { self.step(&first, byte, summary, width) }
            for byte in second.bytes[index...] { self.step(&second, byte, summary, width) }
            first.result[0] |= first.found
            second.result[0] |= second.found
            return Summary.isOn ? (first.classes, second.classes) : (0, 0)
        }

        @inline(__always)
        private func step<Summary: ClassSummary, Width: ResultWidth>(_ lane: inout Lane, _ byte: UInt8, _: Summary.Type, _: Width.Type) {
            lane.row = Int(self.rows[lane.row &+ 3 &+ Int(self.byteClass[Int(byte)])])
            lane.found |= UnsafeRawPointer(self.rows.baseAddress.unsafelyUnwrapped).loadUnaligned(fromByteOffset: lane.row &* 4, as: UInt64.self)
            if Summary.isOn {
                lane.classes |= self.classTable[lane.previous &+ Int(byte)]
                lane.previous = Int(self.nextOffsets[Int(byte)])
            }
            guard !Width.isOneWord else { return }
            let extra = Int(self.rows[lane.row &+ 2])
            guard extra >= 0 else { return }
            var word = 1
            while word < self.words {
                lane.result[word] |= self.extraBits[extra &+ word &- 1]
                word &+= 1
            }
        }
    }

    /// One value being walked: its bytes, the automaton's row, the first result word and byte classes so far
    /// (held in registers), and where its result goes.
    private struct Lane {
        let bytes: UnsafeBufferPointer<UInt8>
        let result: UnsafeMutablePointer<UInt64>
        var row = 0
        var found: UInt64 = 0
        var classes = TransformTriggers.any
        var previous = TransformTriggers.start

        init(_ bytes: UnsafeBufferPointer<UInt8>, into result: UnsafeMutablePointer<UInt64>) {
            self.bytes = bytes
            self.result = result
        }
    }
}

/// Whether a scan summarizes byte classes, as a type: each kind of scan is its own specialization of the loop,
/// with no test per byte.
private protocol ClassSummary { static var isOn: Bool { get } }
private enum Summarized: ClassSummary { static var isOn: Bool { true } }
private enum NotSummarized: ClassSummary { static var isOn: Bool { false } }

/// Whether a scan's rule set needs one result word (64 conditions or fewer, the usual case), as a type: the
/// one-word loop keeps fewer values live, and they fit in registers.
private protocol ResultWidth { static var isOneWord: Bool { get } }
private enum OneWord: ResultWidth { static var isOneWord: Bool { true } }
private enum ManyWords: ResultWidth { static var isOneWord: Bool { false } }
