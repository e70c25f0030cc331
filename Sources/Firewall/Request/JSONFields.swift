/// Flattens a JSON body into (path, value) fields, `{"user":{"tags":["a"]}}` giving `user.tags.0 = a`, so rules
/// see JSON strings unescaped, as they see form fields.
///
/// It reads the body where it was copied into the phase's ``ValueBuffer``: a string without escapes, a number
/// or a literal is a range of the body itself; escaped strings and the paths are appended. Invalid JSON stops
/// it, keeping what was read so far, and nesting deeper than 64 levels is not followed.
///
/// Every field's name is its whole path, so the names of a body can far outgrow it: a 100 KB key holding an
/// array of 400,000 ones would need 40 GB. Once the names reach ``nameBudget(forBodyOf:)``, each further field
/// is named by its last component only (its key, or its array position), which keeps the names within a few
/// times the body while every value is still inspected.
struct JSONFields: ~Copyable {
    /// The buffer's bytes, read through a pointer for the whole scan: nothing is appended to the buffer until
    /// the scan ends, so the pointer stays valid, and each byte read is one load.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let end: Int
    /// The path of the value being read, its components joined by `.`.
    private var path: ScratchBytes
    /// Where the path's last component starts.
    private var componentStart = 0
    /// Unescaped strings and names, appended to the buffer after the scan: byte `i` of it will be byte
    /// `outputStart + i` of the buffer, which is how ranges into it are written.
    private var output: ScratchBytes
    private let outputStart: Int
    private var fields: [FormFields.Field] = []
    /// Bytes of names written so far, and how many whole paths may take.
    private var nameBytes = 0
    private let nameBudget: Int

    /// The bytes of full paths a body of `count` bytes may name its fields with.
    static func nameBudget(forBodyOf count: Int) -> Int {
        max(64 * 1024, count.multipliedReportingOverflow(by: 4).overflow ? Int.max : count * 4)
    }

    /// The fields of the JSON text at `range` of `buffer`, whose names and unescaped strings are appended to it.
    static func flatten(_ range: Range<Int>, in buffer: inout ValueBuffer) -> [FormFields.Field] {
        let outputStart = buffer.count
        let (fields, output) = buffer.bytes.withUnsafeBufferPointer { bytes in
            var scanner = JSONFields(bytes: bytes, range: range, outputStart: outputStart)
            _ = scanner.value(depth: 0)
            return (scanner.takeFields(), Array(scanner.output.bytes))
        }
        buffer.append(output)
        return fields
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, outputStart: Int) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range outside the buffer")
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
        self.outputStart = outputStart
        self.nameBudget = Self.nameBudget(forBodyOf: range.count)
        // A field takes six bytes of JSON at least (`"a":1,`); paths and unescaped strings are rarely longer than
        // the text.
        self.fields.reserveCapacity(range.count / 16)
        self.output = ScratchBytes(capacity: range.count)
        self.path = ScratchBytes(capacity: 64)
    }

    private mutating func takeFields() -> [FormFields.Field] {
        var fields: [FormFields.Field] = []
        swap(&fields, &self.fields)
        return fields
    }

    @inline(__always)
    private mutating func skipSpace() {
        while self.index < self.end, Decoders.isSpace(self.bytes[self.index]) { self.index &+= 1 }
    }

    /// Starts a child's component of the path (after a `.` unless it is the first), and returns the length to
    /// cut the path back to once the child is read.
    private mutating func enterChild() -> Int {
        let mark = self.path.count
        if mark > 0 { self.path.append(UInt8(ascii: ".")) }
        self.componentStart = self.path.count
        return mark
    }

    /// The bytes at `range`: of the text, or of the output for an unescaped string.
    private func contents(of range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self.bytes[range])
    }

    /// Ends a field whose value is at `value` (in the text or the output); its name is the path.
    private mutating func addField(_ value: Range<Int>) {
        let name = self.outputStart &+ self.output.count
        var path = self.path.bytes
        if self.nameBytes &+ path.count > self.nameBudget { path = UnsafeBufferPointer(rebasing: path[self.componentStart...]) }
        self.nameBytes &+= path.count
        self.output.append(path)
        self.fields.append((name..<(self.outputStart &+ self.output.count), value))
    }

    /// Reads one value at the current path; false when the input is not JSON from here on.
    private mutating func value(depth: Int) -> Bool {
        self.skipSpace()
        guard self.index < self.end, depth < 64 else { return false }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"):
            self.index &+= 1
            self.skipSpace()
            if self.index < self.end, self.bytes[self.index] == UInt8(ascii: "}") {
                self.index &+= 1
                return true
            }
            while true {
                self.skipSpace()
                let mark = self.path.count
                guard self.key() else { return false }
                self.skipSpace()
                guard self.index < self.end, self.bytes[self.index] == UInt8(ascii: ":") else { return false }
                self.index &+= 1
                let read = self.value(depth: depth + 1)
                self.leaveChild(mark)
                guard read else { return false }
                guard let closed = self.separator(closing: UInt8(ascii: "}")) else { return false }
                if closed { return true }
            }
        case UInt8(ascii: "["):
            self.index &+= 1
            self.skipSpace()
            if self.index < self.end, self.bytes[self.index] == UInt8(ascii: "]") {
                self.index &+= 1
                return true
            }
            var position = 0
            while true {
                let mark = self.enterChild()
                Self.appendDecimal(position, to: &self.path)
                let read = self.value(depth: depth + 1)
                self.leaveChild(mark)
                guard read else { return false }
                position += 1
                guard let closed = self.separator(closing: UInt8(ascii: "]")) else { return false }
                if closed { return true }
            }
        case UInt8(ascii: "\""):
            guard let text = self.string() else { return false }
            self.addField(text)
            return true
        default:
            let start = self.index
            while self.index < self.end, !Self.ends(self.bytes[self.index]) { self.index &+= 1 }
            guard self.index > start else { return false }
            self.addField(start..<self.index)
            return true
        }
    }

    /// Reads a member's name as the next path component; false when there is no string here.
    private mutating func key() -> Bool {
        let outputCount = self.output.count
        guard let key = self.string() else { return false }
        _ = self.enterChild()
        if key.lowerBound >= self.outputStart {
            // An escaped name: its unescaped bytes move from the output to the path.
            self.path.append(UnsafeBufferPointer(rebasing: self.output.bytes[(key.lowerBound &- self.outputStart)...]))
            self.output.truncate(to: outputCount)
        } else {
            self.path.append(self.contents(of: key))
        }
        return true
    }

    /// After a member or an element: true at `closing`, false at a comma, nil at anything else.
    private mutating func separator(closing: UInt8) -> Bool? {
        self.skipSpace()
        guard self.index < self.end else { return nil }
        let separator = self.bytes[self.index]
        self.index += 1
        if separator == closing { return true }
        return separator == UInt8(ascii: ",") ? false : nil
    }

    /// Cuts the path back to `mark`.
    private mutating func leaveChild(_ mark: Int) {
        self.path.truncate(to: mark)
    }

    /// Appends the decimal digits of an array position, most significant first (`String(position)` costs more
    /// than the rest of a short field).
    private static func appendDecimal(_ position: Int, to path: inout ScratchBytes) {
        var divisor = 1
        while divisor <= position / 10 { divisor &*= 10 }
        var rest = position
        while divisor > 0 {
            path.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    private static func ends(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || Decoders.isSpace(byte)
    }

    /// A string literal's range: in the text when it has no escapes, else in the output, unescaped; nil when
    /// there is none here.
    ///
    /// Inlined into its two callers, with the escapes left to ``unescapedString(from:)``: a call per string was
    /// as much as reading a short string's bytes.
    @inline(__always)
    private mutating func string() -> Range<Int>? {
        guard self.index < self.end, self.bytes[self.index] == UInt8(ascii: "\"") else { return nil }
        self.index &+= 1
        // Most strings have no escapes: they are their own bytes in the text.
        let start = self.index
        // In locals: the loop reads every byte of every string, and `self` is reached through a pointer.
        var index = start
        let (bytes, end) = (self.bytes, self.end)
        // Eight bytes at a time while none is a quote or a backslash: strings are most of a JSON body's bytes.
        // The lowest flagged byte of either test is the first quote or backslash (a test flags wrongly only above
        // a byte it flags rightly).
        if let base = bytes.baseAddress {
            while index &+ 8 <= end {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let found = Self.zeroBytes(word ^ 0x2222_2222_2222_2222) | Self.zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
                if found != 0 {
                    index &+= found.trailingZeroBitCount &>> 3
                    break
                }
                index &+= 8
            }
        }
        while index < end, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index &+= 1 }
        self.index = index
        guard index < end else { return nil }
        if bytes[index] == UInt8(ascii: "\"") {
            self.index &+= 1
            return start..<index
        }
        return self.unescapedString(from: start)
    }

    /// The high bit of each byte of `word` that is zero; above a zero byte, a 0x01 byte may be flagged too.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// The rest of a string that has an escape at the current index, its text starting at `start`: unescaped into
    /// the output, whose range it returns; nil when the string does not end.
    @inline(never)
    private mutating func unescapedString(from start: Int) -> Range<Int>? {
        let unescaped = self.outputStart &+ self.output.count
        self.output.append(self.contents(of: start..<self.index))
        while self.index < self.end {
            let byte = self.bytes[self.index]
            self.index &+= 1
            if byte == UInt8(ascii: "\"") { return unescaped..<(self.outputStart &+ self.output.count) }
            guard byte == UInt8(ascii: "\\"), self.index < self.end else {
                self.output.append(byte)
                continue
            }
            let escape = self.bytes[self.index]
            self.index &+= 1
            switch escape {
            case UInt8(ascii: "n"): self.output.append(0x0A)
            case UInt8(ascii: "t"): self.output.append(0x09)
            case UInt8(ascii: "r"): self.output.append(0x0D)
            case UInt8(ascii: "b"): self.output.append(0x08)
            case UInt8(ascii: "f"): self.output.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = self.hex(at: self.index) else { return nil }
                self.index &+= 4
                if (0xD800..<0xDC00).contains(scalar), self.index + 6 <= self.end, self.bytes[self.index] == UInt8(ascii: "\\"),
                    let low = self.hex(at: self.index + 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    self.index &+= 6
                }
                var character = String(Unicode.Scalar(UInt32(scalar)).map(Character.init) ?? "\u{FFFD}")
                character.withUTF8 { self.output.append($0) }
            default: self.output.append(escape)
            }
        }
        return nil
    }

    /// Four hex digits at `index`, within the JSON text.
    private func hex(at index: Int) -> Int? {
        guard index + 4 <= self.end else { return nil }
        return Decoders.hex(self.bytes, at: index, count: 4)
    }
}
