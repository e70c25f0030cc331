/// Flattens a JSON body into (path, value) fields, `{"user":{"tags":["a"]}}` giving `user.tags.0 = a`, so rules
/// see JSON strings unescaped, as they see form fields.
///
/// It reads the body where it was copied into the phase's ``ValueBuffer``: a string without escapes, a number
/// or a literal is a range of the body itself; escaped strings and the paths are appended. Invalid JSON stops
/// it, keeping what was read so far, and nesting deeper than 64 levels is not followed.
struct JSONFields {
    private var buffer = ValueBuffer()
    private var index: Int
    private let end: Int
    /// The path of the value being read, its components joined by `.`.
    private var path: [UInt8] = []
    private var fields: [FormFields.Field] = []

    /// The fields of the JSON text at `range` of `buffer`, whose names and unescaped strings are appended to it.
    static func flatten(_ range: Range<Int>, in buffer: inout ValueBuffer) -> [FormFields.Field] {
        var scanner = JSONFields(range: range)
        swap(&scanner.buffer, &buffer)
        _ = scanner.value(depth: 0)
        swap(&scanner.buffer, &buffer)
        return scanner.fields
    }

    private init(range: Range<Int>) {
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    private mutating func skipSpace() {
        self.index = self.buffer.firstIndex(from: self.index, before: self.end) { !Decoders.isSpace($0) }
    }

    /// Starts a child's component of the path (after a `.` unless it is the first), and returns the length to
    /// cut the path back to once the child is read.
    private mutating func enterChild() -> Int {
        let mark = self.path.count
        if mark > 0 { self.path.append(UInt8(ascii: ".")) }
        return mark
    }

    /// Reads one value at the current path; false when the input is not JSON from here on.
    private mutating func value(depth: Int) -> Bool {
        self.skipSpace()
        guard self.index < self.end, depth < 64 else { return false }
        switch self.buffer[self.index] {
        case UInt8(ascii: "{"):
            self.index += 1
            self.skipSpace()
            if self.index < self.end, self.buffer[self.index] == UInt8(ascii: "}") {
                self.index += 1
                return true
            }
            while true {
                self.skipSpace()
                guard let key = self.string() else { return false }
                self.skipSpace()
                guard self.index < self.end, self.buffer[self.index] == UInt8(ascii: ":") else { return false }
                self.index += 1
                let mark = self.enterChild()
                self.path.append(contentsOf: self.buffer[key])
                let read = self.value(depth: depth + 1)
                self.leaveChild(mark)
                guard read else { return false }
                guard let closed = self.separator(closing: UInt8(ascii: "}")) else { return false }
                if closed { return true }
            }
        case UInt8(ascii: "["):
            self.index += 1
            self.skipSpace()
            if self.index < self.end, self.buffer[self.index] == UInt8(ascii: "]") {
                self.index += 1
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
            self.fields.append((self.buffer.append(self.path), text))
            return true
        default:
            let start = self.index
            self.index = self.buffer.firstIndex(from: start, before: self.end, where: Self.ends)
            guard self.index > start else { return false }
            self.fields.append((self.buffer.append(self.path), start..<self.index))
            return true
        }
    }

    /// After a member or an element: true at `closing`, false at a comma, nil at anything else.
    private mutating func separator(closing: UInt8) -> Bool? {
        self.skipSpace()
        guard self.index < self.end else { return nil }
        let separator = self.buffer[self.index]
        self.index += 1
        if separator == closing { return true }
        return separator == UInt8(ascii: ",") ? false : nil
    }

    /// Cuts the path back to `mark`. One byte at a time: `removeLast(_:)` goes through the general
    /// `replaceSubrange`, which costs more than a short component's bytes.
    private mutating func leaveChild(_ mark: Int) {
        while self.path.count > mark { self.path.removeLast() }
    }

    /// Appends the decimal digits of an array position (`String(position)` costs more than the rest of a short
    /// field).
    private static func appendDecimal(_ position: Int, to path: inout [UInt8]) {
        let start = path.count
        var rest = position
        repeat {
            path.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        path[start...].reverse()
    }

    private static func ends(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || Decoders.isSpace(byte)
    }

    /// A string literal's range in the buffer, unescaped (appended) if it has escapes; nil when there is none here.
    private mutating func string() -> Range<Int>? {
        guard self.index < self.end, self.buffer[self.index] == UInt8(ascii: "\"") else { return nil }
        self.index += 1
        // Most strings have no escapes: they are their own bytes in the body.
        let start = self.index
        self.index = self.buffer.firstIndex(from: start, before: self.end) { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard self.index < self.end else { return nil }
        if self.buffer[self.index] == UInt8(ascii: "\"") {
            self.index += 1
            return start..<(self.index - 1)
        }
        let unescaped = self.buffer.appendCopy(of: start..<self.index)
        while self.index < self.end {
            let byte = self.buffer[self.index]
            self.index += 1
            if byte == UInt8(ascii: "\"") { return unescaped.lowerBound..<self.buffer.count }
            guard byte == UInt8(ascii: "\\"), self.index < self.end else {
                self.buffer.append(byte: byte)
                continue
            }
            let escape = self.buffer[self.index]
            self.index += 1
            switch escape {
            case UInt8(ascii: "n"): self.buffer.append(byte: 0x0A)
            case UInt8(ascii: "t"): self.buffer.append(byte: 0x09)
            case UInt8(ascii: "r"): self.buffer.append(byte: 0x0D)
            case UInt8(ascii: "b"): self.buffer.append(byte: 0x08)
            case UInt8(ascii: "f"): self.buffer.append(byte: 0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = self.hex(at: self.index) else { return nil }
                self.index += 4
                if (0xD800..<0xDC00).contains(scalar), self.index + 6 <= self.end, self.buffer[self.index] == UInt8(ascii: "\\"),
                    let low = self.hex(at: self.index + 2), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    self.index += 6
                }
                self.buffer.append(String(Unicode.Scalar(UInt32(scalar)).map(Character.init) ?? "\u{FFFD}").utf8)
            default: self.buffer.append(byte: escape)
            }
        }
        return nil
    }

    /// Four hex digits at `index`, within the JSON text.
    private func hex(at index: Int) -> Int? {
        guard index + 4 <= self.end else { return nil }
        return Decoders.hex(self.buffer.bytes, at: index, count: 4)
    }
}
