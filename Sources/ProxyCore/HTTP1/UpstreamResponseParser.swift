import NIOCore

/// Reads the responses on one upstream connection just far enough to forward them. It finds where each head
/// ends and what the head says, and where the body ends. Body bytes are handed on as slices of the buffers
/// read. They are not copied or re-framed, except that a chunked body can be unwrapped for an HTTP/1.0 client.
///
/// The proxy sends one request at a time, so one response is expected per ``expectResponse(toHEAD:unwrapChunks:)``.
/// Bytes that arrive when no response is expected are an error, so a pooled connection that talks out of turn
/// is closed rather than reused.
public struct UpstreamResponseParser: Sendable {
    /// What the next bytes were.
    public enum Event: Sendable {
        /// A response head. An interim (1xx) head is followed by another head.
        case head(UpstreamResponseHead)
        /// Body bytes to forward as they are (with their chunk framing unless unwrapping).
        case body(ByteBuffer)
        /// The response is complete. After a 101 the rest of the input belongs to the new protocol.
        case end
    }

    private enum State: Sendable {
        case idle
        case head
        case fixed(remaining: Int)
        case chunked
        case untilClose
        case ending
        case switched
    }

    private var state = State.idle
    private var chunks = ChunkedBody()
    private var headReader: HeadReader
    /// The last head's list of dropped lines. Once that head has been forwarded and let go, the parser holds the
    /// list's only reference and the next head fills it without allocating.
    private var lastDropped: [Range<Int>]?
    private var requestIsHEAD = false
    private var unwrapChunks = false
    private var switching = false
    /// The longest response head accepted.
    public var maxHeadBytes: Int { self.headReader.maxBytes }
    /// Body bytes of the current response, without chunk framing.
    public private(set) var bodyBytes = 0

    /// A parser for one connection.
    public init(maxHeadBytes: Int = 64 * 1024) {
        self.headReader = HeadReader(maxBytes: maxHeadBytes)
    }

    /// A request went out: its response comes next.
    ///
    /// - Parameters:
    ///   - toHEAD: the request was HEAD, so the response has no body.
    ///   - unwrapChunks: hand on a chunked body without its framing (for an HTTP/1.0 client).
    public mutating func expectResponse(toHEAD: Bool, unwrapChunks: Bool) {
        self.state = .head
        self.requestIsHEAD = toHEAD
        self.unwrapChunks = unwrapChunks
        self.switching = false
        self.headReader.reset()
        self.bodyBytes = 0
    }

    /// The next event from `buffer`, consuming what it covers; nil when more input is needed (or, after a 101,
    /// never: the rest of the input is left for the tunnel).
    public mutating func next(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> Event? {
        switch self.state {
        case .idle:
            guard buffer.readableBytes == 0 else {
                throw UpstreamResponseError(description: "the backend sent bytes when no response was due")
            }
            return nil
        case .head:
            return try self.head(&buffer)
        case .fixed(let remaining):
            let count = min(remaining, buffer.readableBytes)
            guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
            self.bodyBytes += count
            self.state = count == remaining ? .ending : .fixed(remaining: remaining - count)
            return .body(slice)
        case .chunked:
            return try self.chunked(&buffer)
        case .untilClose:
            guard buffer.readableBytes > 0, let slice = buffer.readSlice(length: buffer.readableBytes) else { return nil }
            self.bodyBytes += slice.readableBytes
            return .body(slice)
        case .ending:
            self.state = self.switching ? .switched : .idle
            return .end
        case .switched:
            return nil
        }
    }

    /// The backend closed the connection: `.end` when that ends the body (no length was given), else nil.
    public mutating func inputClosed() -> Event? {
        guard case .untilClose = self.state else { return nil }
        self.state = .idle
        return .end
    }

    /// Whether a 101 response ended: the rest of the input is the new protocol's.
    public var hasSwitchedProtocols: Bool {
        if case .switched = self.state { return true }
        return false
    }

    private mutating func head(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> Event? {
        let bytes: ByteBuffer
        switch self.headReader.read(&buffer) {
        case .needMore: return nil
        case .tooLarge: throw UpstreamResponseError(description: "the response head is larger than \(self.maxHeadBytes) bytes")
        case .bareLineFeed: throw UpstreamResponseError(description: "a line of the response head ends with a bare LF")
        case .head(let head): bytes = head
        }
        let head = try UpstreamResponseHead(
            parsing: bytes, requestIsHEAD: self.requestIsHEAD, unwrapChunks: self.unwrapChunks, droppedStorage: self.lastDropped.take() ?? []
        )
        self.lastDropped = head.dropped
        if head.isInterim { return .head(head) }
        self.switching = head.status == 101
        switch head.framing {
        case .none, .length(0):
            self.state = .ending
        case .length(let length):
            self.state = .fixed(remaining: length)
        case .chunked:
            self.chunks = ChunkedBody()
            self.state = .chunked
        case .untilClose:
            self.state = .untilClose
        }
        return .head(head)
    }

    private mutating func chunked(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> Event? {
        guard buffer.readableBytes > 0 else { return nil }
        let unwrap = self.unwrapChunks
        var data = 0
        let scanned = buffer.withUnsafeReadableBytes { self.chunks.scan($0, stopAtData: unwrap, dataBytes: &data) }
        if let malformed = self.chunks.malformed { throw UpstreamResponseError(description: malformed) }
        guard unwrap else {
            self.bodyBytes += data
            if self.chunks.isComplete { self.state = .ending }
            return buffer.readSlice(length: scanned).map { .body($0) }
        }
        buffer.moveReaderIndex(forwardBy: scanned)
        if self.chunks.isComplete {
            self.state = .idle
            return .end
        }
        let count = self.chunks.takeData(upTo: buffer.readableBytes)
        guard count > 0, let slice = buffer.readSlice(length: count) else { return nil }
        self.bodyBytes += count
        return .body(slice)
    }
}
