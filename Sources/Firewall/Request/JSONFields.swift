/// Flattens a JSON body into (path, value) fields, `{"user":{"tags":["a"]}}` giving `user.tags.0 = a`, so rules
/// see JSON strings unescaped, as they see form fields.
///
/// It is a small, non-allocating-per-token scanner: invalid JSON stops it, keeping what was read so far, and
/// nesting deeper than 64 levels is not followed.
struct JSONFields {
    private let bytes: [UInt8]
    private var index = 0
    private var fields: [(name: [UInt8], value: [UInt8])] = []

    static func flatten(_ bytes: [UInt8]) -> [(name: [UInt8], value: [UInt8])] {
        var scanner = JSONFields(bytes: bytes)
        _ = scanner.value(path: [], depth: 0)
        return scanner.fields
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func skipSpace() {
        while self.index < self.bytes.count, Decoders.isSpace(self.bytes[self.index]) { self.index += 1 }
    }

    private func child(_ path: [UInt8], _ component: [UInt8]) -> [UInt8] {
        guard !path.isEmpty else { return component }
        var child: [UInt8] = []
        child.reserveCapacity(path.count + 1 + component.count)
        child += path
        child.append(UInt8(ascii: "."))
        child += component
        return child
    }

    /// Reads one value at `path`; false when the input is not JSON from here on.
    private mutating func value(path: [UInt8], depth: Int) -> Bool {
        self.skipSpace()
        guard self.index < self.bytes.count, depth < 64 else { return false }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"):
            self.index += 1
            self.skipSpace()
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
                self.index += 1
                return true
            }
            while true {
                self.skipSpace()
                guard let key = self.string() else { return false }
                self.skipSpace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else { return false }
                self.index += 1
                guard self.value(path: self.child(path, key), depth: depth + 1) else { return false }
                self.skipSpace()
                guard self.index < self.bytes.count else { return false }
                let separator = self.bytes[self.index]
                self.index += 1
                if separator == UInt8(ascii: "}") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        case UInt8(ascii: "["):
            self.index += 1
            self.skipSpace()
            if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
                self.index += 1
                return true
            }
            var position = 0
            while true {
                guard self.value(path: self.child(path, Self.decimal(position)), depth: depth + 1) else { return false }
                position += 1
                self.skipSpace()
                guard self.index < self.bytes.count else { return false }
                let separator = self.bytes[self.index]
                self.index += 1
                if separator == UInt8(ascii: "]") { return true }
                guard separator == UInt8(ascii: ",") else { return false }
            }
        case UInt8(ascii: "\""):
            guard let text = self.string() else { return false }
            self.fields.append((path, text))
            return true
        default:
            let start = self.index
            while self.index < self.bytes.count, !Self.ends(self.bytes[self.index]) { self.index += 1 }
            guard self.index > start else { return false }
            self.fields.append((path, Array(self.bytes[start..<self.index])))
            return true
        }
    }

    /// The decimal digits of an array position (`String(position)` costs more than the rest of a short field).
    private static func decimal(_ position: Int) -> [UInt8] {
        guard position >= 10 else { return [UInt8(ascii: "0") + UInt8(position)] }
        var digits: [UInt8] = []
        var rest = position
        while rest > 0 {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        return digits.reversed()
    }

    private static func ends(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || Decoders.isSpace(byte)
    }

    /// A string literal, unescaped to UTF-8; nil when there is none here.
    private mutating func string() -> [UInt8]? {
        guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else { return nil }
        self.index += 1
        // Most strings have no escapes: find the closing quote and copy the bytes once.
        let start = self.index
        while self.index < self.bytes.count, self.bytes[self.index] != UInt8(ascii: "\""), self.bytes[self.index] != UInt8(ascii: "\\") {
            self.index += 1
        }
        var result = Array(self.bytes[start..<self.index])
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            if byte == UInt8(ascii: "\"") { return result }
            guard byte == UInt8(ascii: "\\"), self.index < self.bytes.count else {
                result.append(byte)
                continue
            }
            let escape = self.bytes[self.index]
            self.index += 1
            switch escape {
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = Decoders.hex(self.bytes, at: self.index, count: 4) else { return nil }
                self.index += 4
                if (0xD800..<0xDC00).contains(scalar), self.index + 6 <= self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                    let low = Decoders.hex(self.bytes, at: self.index + 2, count: 4), (0xDC00..<0xE000).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    self.index += 6
                }
                result.append(contentsOf: Array(String(Unicode.Scalar(UInt32(scalar)).map(Character.init) ?? "\u{FFFD}").utf8))
            default: result.append(escape)
            }
        }
        return nil
    }
}
