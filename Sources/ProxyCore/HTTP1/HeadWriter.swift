import NIOCore

/// Writes a message head's pieces into a buffer's writable bytes, reserved once for the whole head.
///
/// Each of `ByteBuffer`'s own writes checks the buffer's capacity and uniqueness, about 180 instructions for a
/// piece of a few bytes, and a forwarded request head has a dozen pieces and more. Here the caller reserves an
/// upper bound of the head's size (the received head's bytes plus what the proxy adds) and the pieces are
/// copied into it.
struct HeadWriter: ~Copyable {
    private let bytes: UnsafeMutableRawBufferPointer
    /// The bytes written so far.
    private(set) var count = 0

    private init(bytes: UnsafeMutableRawBufferPointer) {
        self.bytes = bytes
    }

    /// Calls `body` with a writer over at least `capacity` bytes at `buffer`'s writer index, and moves the index
    /// past what it wrote. `body` writes at most `capacity` bytes: beyond them a write stops the process.
    static func write(into buffer: inout ByteBuffer, capacity: Int, _ body: (inout HeadWriter) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { bytes in
            // Held to `capacity`, not to what the buffer happens to have: a bound that is too small fails every
            // time, not only when the buffer had no spare room.
            var writer = HeadWriter(bytes: UnsafeMutableRawBufferPointer(rebasing: bytes[..<capacity]))
            body(&writer)
            return writer.count
        }
    }

    /// Appends `raw`.
    mutating func append(_ raw: UnsafeRawBufferPointer) {
        precondition(raw.count <= self.bytes.count - self.count, "a head outgrew the room reserved for it")
        guard let source = raw.baseAddress, let target = self.bytes.baseAddress else { return }
        (target + self.count).copyMemory(from: source, byteCount: raw.count)
        self.count += raw.count
    }

    /// Appends `text`.
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { self.append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `text`'s UTF-8.
    mutating func append(_ text: String) {
        text.withUTF8Bytes { self.append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a field line: `name`, `: `, `value` and CRLF.
    mutating func appendField(_ name: StaticString, _ value: String) {
        self.append(name)
        self.append(": ")
        self.append(value)
        self.append("\r\n")
    }

    /// Appends a field line: `name`, `: `, `value` and CRLF.
    mutating func appendField(_ name: String, _ value: String) {
        self.append(name)
        self.append(": ")
        self.append(value)
        self.append("\r\n")
    }

    /// Lets `body` write up to `count` bytes in place; it returns how many it wrote.
    mutating func append(upTo count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        precondition(count <= self.bytes.count - self.count, "a head outgrew the room reserved for it")
        let written = body(UnsafeMutableRawBufferPointer(rebasing: self.bytes[self.count..<self.count + count]))
        self.count += written
    }
}
