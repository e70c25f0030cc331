import NIOCore

/// Gathers a message head that may arrive over several reads, up to its empty line, within a size limit.
///
/// The search resumes where the last read's bytes ended, so a head sent a byte at a time costs its length,
/// not its length squared.
struct HeadReader: Sendable {
    /// What the bytes read so far hold.
    enum Outcome {
        /// A complete head, through its empty line; the input's reader index is past it.
        case head(ByteBuffer)
        /// The head goes on in later reads (the input was taken in).
        case needMore
        /// The head is longer than the limit.
        case tooLarge
        /// A line ends with a bare LF.
        case bareLineFeed
    }

    /// The longest head accepted, in bytes.
    let maxBytes: Int
    /// The start of a head that has not fully arrived.
    private var partial: ByteBuffer?
    /// Bytes of `partial` already searched for the empty line.
    private var searched = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Whether part of a head is held.
    var hasPartialHead: Bool { self.partial != nil }

    /// Drops a partial head (a new message starts).
    mutating func reset() {
        self.partial = nil
        self.searched = 0
    }

    /// Looks for the end of the head in what was held and `buffer`.
    mutating func read(_ buffer: inout ByteBuffer) -> Outcome {
        var from = 0
        if var partial = self.partial.take() {
            partial.writeBuffer(&buffer)
            buffer = partial
            // An empty line ending in the new bytes may have begun in the old ones: `headEnd` looks back from each LF.
            from = self.searched
        }
        self.searched = 0
        let end = buffer.withUnsafeReadableBytes { HTTP1Syntax.headEnd($0, from: from) }
        switch end {
        case .bareLineFeed:
            return .bareLineFeed
        case .incomplete:
            guard buffer.readableBytes <= self.maxBytes else { return .tooLarge }
            if buffer.readableBytes > 0 {
                self.searched = buffer.readableBytes
                self.partial = buffer
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            return .needMore
        case .complete(let length):
            guard length <= self.maxBytes, let head = buffer.readSlice(length: length) else { return .tooLarge }
            return .head(head)
        }
    }
}
