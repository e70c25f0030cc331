import NIOCore

/// Reads the requests on one client connection: each head once into a ``ClientRequestHead``, then its body
/// as slices of the buffers read, without chunk framing (the proxy frames the body afresh for the backend, and
/// the firewall inspects it unframed).
///
/// The caller takes events one at a time and may stop between them (while a request is being answered, say):
/// bytes not yet taken stay in its buffer. After a request that asks to switch protocols, nothing more is
/// read: the rest of the input belongs to the new protocol, or to nobody if the backend refuses.
public struct ClientRequestParser: Sendable {
    /// What the next bytes were.
    public enum Event: Sendable {
        /// A request head.
        case head(ClientRequestHead)
        /// Body bytes, without chunk framing.
        case body(ByteBuffer)
        /// The request is complete.
        case end
    }

    private enum State: Sendable {
        case head
        case fixed(remaining: Int)
        case chunked
        case ending
        case upgraded
    }

    private var state = State.head
    private var headReader: HeadReader
    private var chunks = ChunkedBody()
    private var upgrading = false
    /// The last head's field list. Once that head is gone (its request answered), the parser holds the list's
    /// only reference and the next head fills it without allocating.
    private var lastFields: [HTTP1Syntax.FieldLine]?

    /// A parser for one connection, accepting heads up to `maxHeadBytes`.
    public init(maxHeadBytes: Int) {
        self.headReader = HeadReader(maxBytes: maxHeadBytes)
    }

    /// The longest request head accepted, in bytes.
    public var maxHeadBytes: Int { self.headReader.maxBytes }

    /// Whether a request that asked to switch protocols has ended: the parser reads no further.
    public var hasStopped: Bool {
        if case .upgraded = self.state { return true }
        return false
    }

    /// The next event from `buffer`, consuming what it covers; nil when more input is needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(ClientRequestError) -> Event? {
        switch self.state {
        case .head:
            return try self.head(&buffer)
        case .fixed(let remaining):
            let count = min(remaining, buffer.readableBytes)
            guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
            self.state = count == remaining ? .ending : .fixed(remaining: remaining - count)
            return .body(slice)
        case .chunked:
            return try self.chunked(&buffer)
        case .ending:
            self.state = self.upgrading ? .upgraded : .head
            return .end
        case .upgraded:
            return nil
        }
    }

    private mutating func head(_ buffer: inout ByteBuffer) throws(ClientRequestError) -> Event? {
        // RFC 9112 2.2: empty lines before a request line are ignored (some clients end a body with an extra CRLF).
        // Their CR and LF may come in separate reads, so each is skipped alone; none of them frames anything.
        if !self.headReader.hasPartialHead {
            while let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), byte == 0x0D || byte == 0x0A {
                buffer.moveReaderIndex(forwardBy: 1)
            }
        }
        let bytes: ByteBuffer
        switch self.headReader.read(&buffer) {
        case .needMore: return nil
        case .tooLarge: throw ClientRequestError(status: 431, description: "the request head is larger than \(self.headReader.maxBytes) bytes")
        case .bareLineFeed: throw .malformed("a line of the request head ends with a bare LF")
        case .head(let head): bytes = head
        }
        let head = try ClientRequestHead(parsing: bytes, fieldStorage: self.lastFields.take() ?? [])
        self.lastFields = head.fields
        self.upgrading = head.asksUpgrade
        switch head.framing {
        case .none:
            self.state = .ending
        case .length(let length):
            self.state = .fixed(remaining: length)
        case .chunked:
            self.chunks = ChunkedBody()
            self.state = .chunked
        }
        return .head(head)
    }

    private mutating func chunked(_ buffer: inout ByteBuffer) throws(ClientRequestError) -> Event? {
        guard buffer.readableBytes > 0 else { return nil }
        var data = 0
        let scanned = buffer.withUnsafeReadableBytes { self.chunks.scan($0, stopAtData: true, dataBytes: &data) }
        if let malformed = self.chunks.malformed { throw .malformed("malformed chunked body: \(malformed)") }
        buffer.moveReaderIndex(forwardBy: scanned)
        if self.chunks.isComplete {
            self.state = self.upgrading ? .upgraded : .head
            return .end
        }
        let count = self.chunks.takeData(upTo: buffer.readableBytes)
        guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
        return .body(slice)
    }
}
