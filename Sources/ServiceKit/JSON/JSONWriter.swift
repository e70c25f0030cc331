/// Writes JSON text straight into bytes, for the JSON-shaped standard types (``JSONRepresentable``).
///
/// `JSONEncoder` walks a `Dictionary` through its generic `Encodable` path, which costs more per response
/// than the whole rest of a request; this writer does the same job in a single pass.
public struct JSONWriter {
    /// The JSON written so far, UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// Whether object keys are written in sorted order (`JSON_SORT_KEYS`).
    public let sortKeys: Bool

    /// Creates an empty writer.
    public init(sortKeys: Bool = true) {
        self.sortKeys = sortKeys
        self.bytes.reserveCapacity(128)
    }

    /// Writes `null`.
    public mutating func writeNull() { self.bytes += [0x6E, 0x75, 0x6C, 0x6C] }

    /// Writes `true` or `false`.
    public mutating func write(_ value: Bool) { self.bytes += value ? Array("true".utf8) : Array("false".utf8) }

    /// Writes an integer.
    public mutating func write(_ value: Int) { self.bytes += String(value).utf8 }

    /// Writes a number; NaN and infinities, which JSON cannot hold, become `null`.
    public mutating func write(_ value: Double) {
        guard value.isFinite else { return self.writeNull() }
        self.bytes += value.description.utf8
    }

    /// Writes a string with RFC 8259 escaping (quotes, backslashes and control characters).
    public mutating func write(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes += [0x5C, 0x22]
            case UInt8(ascii: "\\"): self.bytes += [0x5C, 0x5C]
            case 0x0A: self.bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: self.bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: self.bytes += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                self.bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an array of `elements`.
    public mutating func writeArray<Elements: Sequence>(_ elements: Elements) where Elements.Element: JSONRepresentable {
        self.bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { self.bytes.append(UInt8(ascii: ",")) }
            first = false
            element.writeJSON(to: &self)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// Writes an object of `members`, sorted by key when ``sortKeys`` is on.
    public mutating func writeObject<Value: JSONRepresentable>(_ members: [String: Value]) {
        self.bytes.append(UInt8(ascii: "{"))
        var first = true
        let ordered = self.sortKeys ? members.sorted { $0.key < $1.key } : Array(members)
        for (key, value) in ordered {
            if !first { self.bytes.append(UInt8(ascii: ",")) }
            first = false
            self.write(key)
            self.bytes.append(UInt8(ascii: ":"))
            value.writeJSON(to: &self)
        }
        self.bytes.append(UInt8(ascii: "}"))
    }
}

/// A type that writes itself as JSON through ``JSONWriter``, without `JSONEncoder`.
///
/// Handlers that return one of these (a `[String: String]`, a `JSONValue`, an array of numbers, ...) are
/// answered on the fast path; other `Encodable` results go through `JSONEncoder`.
public protocol JSONRepresentable {
    /// Writes the value.
    func writeJSON(to writer: inout JSONWriter)
}

extension String: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.write(self) }
}

extension Int: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.write(self) }
}

extension Double: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.write(self) }
}

extension Bool: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.write(self) }
}

extension Optional: JSONRepresentable where Wrapped: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) {
        if let value = self { value.writeJSON(to: &writer) } else { writer.writeNull() }
    }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.writeArray(self) }
}

extension Dictionary: JSONRepresentable where Key == String, Value: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) { writer.writeObject(self) }
}

extension JSONValue: JSONRepresentable {
    public func writeJSON(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.writeNull()
        case .bool(let value): writer.write(value)
        case .int(let value): writer.write(value)
        case .double(let value): writer.write(value)
        case .string(let value): writer.write(value)
        case .array(let values): writer.writeArray(values)
        case .object(let members): writer.writeObject(members)
        }
    }
}
