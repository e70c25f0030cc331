import NIOCore

/// Reads RESP2 values from bytes as they arrive: a value split across reads is left unread until it is whole.
public enum RESPParser {
    /// The largest bulk string or array accepted; a larger length is a protocol error, not an allocation.
    public static let maxLength = 512 * 1024 * 1024

    /// Parses one value from the front of `buffer`, moving its reader index past it; `nil` when the value is not
    /// complete yet (the reader index does not move).
    public static func parse(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var cursor = buffer.readerIndex
        guard let value = try self.value(in: buffer, at: &cursor) else { return nil }
        buffer.moveReaderIndex(to: cursor)
        return value
    }

    private static func value(in buffer: ByteBuffer, at cursor: inout Int) throws(RESPError) -> RESPValue? {
        guard let kind = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
        guard let line = self.line(in: buffer, from: cursor + 1) else { return nil }
        let text = buffer.getString(at: cursor + 1, length: line.end - cursor - 1) ?? ""
        cursor = line.next
        switch kind {
        case UInt8(ascii: "+"): return .simpleString(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"):
            guard let number = Int(text) else { throw RESPError("integer reply \"\(text)\" is not a number") }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(text), length >= -1, length <= self.maxLength else { throw RESPError("bad bulk length \"\(text)\"") }
            if length == -1 { return .bulkString(nil) }
            guard buffer.writerIndex - cursor >= length + 2, let bytes = buffer.getBytes(at: cursor, length: length) else { return nil }
            cursor += length + 2
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(text), count >= -1, count <= self.maxLength else { throw RESPError("bad array length \"\(text)\"") }
            if count == -1 { return .array(nil) }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let element = try self.value(in: buffer, at: &cursor) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPError("unexpected type byte \(kind)")
        }
    }

    /// The index of the next CR LF at or after `start`, and the index after it.
    private static func line(in buffer: ByteBuffer, from start: Int) -> (end: Int, next: Int)? {
        let view = buffer.readableBytesView
        let offset = start - buffer.readerIndex
        guard offset <= view.count else { return nil }
        var index = view.index(view.startIndex, offsetBy: offset)
        while index < view.endIndex {
            if view[index] == UInt8(ascii: "\r") {
                let after = view.index(after: index)
                guard after < view.endIndex else { return nil }
                if view[after] == UInt8(ascii: "\n") {
                    let end = buffer.readerIndex + view.distance(from: view.startIndex, to: index)
                    return (end, end + 2)
                }
            }
            index = view.index(after: index)
        }
        return nil
    }

    /// Writes a command as a RESP array of bulk strings.
    public static func writeCommand(_ arguments: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeString("\r\n")
        }
    }
}

/// The bytes from Redis are not RESP.
public struct RESPError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "RESP protocol error: \(self.reason)" }
}
