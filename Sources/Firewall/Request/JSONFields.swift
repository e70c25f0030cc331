/// Flattens a JSON body into (path, value) fields, `{"user":{"tags":["a"]}}` giving `user.tags.0 = a`, so rules
/// see JSON strings unescaped, as they see form fields.
///
/// It reads the body where it was copied into the phase's ``ValueBuffer``: a string without escapes, a number
/// or a literal is a range of the body itself; escaped strings and the paths are appended. Invalid JSON stops
/// it, keeping what was read so far, and nesting deeper than 64 levels is not followed.
struct JSONFields {
    /// The buffer's bytes, read through a pointer for the whole scan: nothing is appended to the buffer until
    /// the scan ends, so the pointer stays valid, and each byte read is one load.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let end: Int
    /// The path of the value being read, its components joined by `.`.
    private var path: [UInt8] = []
    /// Unescaped strings and paths, appended to the buffer after the scan: byte `i` of it will be byte
    /// `outputStart + i` of the buffer, which is how ranges into it are written.
    private var output: [UInt8] = []
    private let outputStart: Int
    private var fields: [FormFields.Field] = []

    /// The fields of the JSON text at `range` of `buffer`, whose names and unescaped strings are appended to it.
    static func flatten(_ range: Range<Int>, in buffer: inout ValueBuffer) -> [FormFields.Field] {
        let outputStart = buffer.count
        let (fields, output) = buffer.bytes.withUnsafeBufferPointer { bytes in
            var scanner = JSONFields(bytes: bytes, range: range, outputStart: outputStart)
            _ = scanner.value(depth: 0)
            return (scanner.fields, scanner.output)
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
        // A field takes six bytes of JSON at least (`"a":1,`); paths and unescaped strings are rarely longer than
        // the text.
        self.fields.reserveCapacity(range.count / 16)
        self.output.reserveCapacity(range.count)
        self.path.reserveCapacity(64)
    }

    private mutating func skipSpace() {
        while self.index < self.end, Decoders.isSpace(self.bytes[self.index]) { self.index &+= 1 }
    }

    /// Starts a child's component of the path (after a `.` unless it is the first), and returns the length to
    /// cut the path back to once the child is read.
    private mutating func enterChild() -> Int {
        let mark = self.path.count
        if mark > 0 { self.path.append(UInt8(ascii: ".")) }
        return mark
    }

    /// The bytes at `range`: of the text, or of the output for an unescaped string.
    private func contents(of range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self.bytes[range])
    }

    /// Ends a field whose value is at `value` (in the text or the output); its name is the path.
    private mutating func addField(_ value: Range<Int>) {
        let name = self.outputStart &+ self.output.count
        self.output.append(contentsOf: self.path)
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
            self.path.append(contentsOf: self.output[(key.lowerBound &- self.outputStart)...])
            self.output.removeSubrange(outputCount...)
        } else {
            self.path.append(contentsOf: self.contents(of: key))
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

    /// Cuts the path back to `mark`. One byte at a time: `removeLast(_:)` goes through the general
    /// `replaceSubrange`, which costs more than a short component's bytes.
    private mutating func leaveChild(_ mark: Int) {
        while self.path.count > mark { self.path.removeLast() }
    }

    /// Appends the decimal digits of an array position, most significant first (`String(position)` costs more
    /// than the rest of a short field).
    private static func appendDecimal(_ position: Int, to path: inout [UInt8]) {
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
    private mutating func string() -> Range<Int>? {
        guard self.index < self.end, self.bytes[self.index] == UInt8(ascii: "\"") else { return nil }
        self.index &+= 1
        // Most strings have no escapes: they are their own bytes in the text.
        let start = self.index
        while self.index < self.end, self.bytes[self.index] != UInt8(ascii: "\""), self.bytes[self.index] != UInt8(ascii: "\\") {
            self.index &+= 1
        }
        guard self.index < self.end else { return nil }
        if self.bytes[self.index] == UInt8(ascii: "\"") {
            self.index &+= 1
            return start..<(self.index &- 1)
        }
        let unescaped = self.outputStart &+ self.output.count
        self.output.append(contentsOf: self.contents(of: start..<self.index))
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
                self.output.append(contentsOf: String(Unicode.Scalar(UInt32(scalar)).map(Character.init) ?? "\u{FFFD}").utf8)
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
