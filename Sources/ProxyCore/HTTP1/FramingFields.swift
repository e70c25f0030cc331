/// What a head's Content-Length and Transfer-Encoding fields say, read line by line. Both parsers read them the
/// same way; each decides the framing from them by its own rules: a request is refused when it has both, or a
/// coding the proxy cannot pass through, while for a response the coding wins.
struct FramingFields {
    /// The length every Content-Length field agrees on.
    private(set) var contentLength: Int?
    /// A Transfer-Encoding field was present.
    private(set) var transferEncoding = false
    /// The last coding named is chunked.
    private(set) var chunked = false
    /// Chunked is named only last, and every coding before it is one passed through unread
    /// (``codingsBeforeChunked``).
    private(set) var codingsAccepted = true

    /// Transfer codings a body may carry before its final `chunked`; the proxy passes them through unread.
    private static let codingsBeforeChunked: [StaticString] = ["gzip", "deflate", "compress", "x-gzip"]

    /// Reads `line` when it is a Content-Length or Transfer-Encoding field; returns why the head is refused: a
    /// length that is not one decimal number, or disagrees with an earlier one.
    mutating func read(_ p: UnsafeRawBufferPointer, _ line: HTTP1Syntax.FieldLine) -> String? {
        switch line.kind {
        case .contentLength:
            guard let length = HTTP1Syntax.digits(p, line.value), self.contentLength == nil || self.contentLength == length else {
                return "Content-Length must be one decimal number"
            }
            self.contentLength = length
        case .transferEncoding:
            self.transferEncoding = true
            HTTP1Syntax.forEachToken(p, line.value) { token in
                let isChunked = HTTP1Syntax.equalsIgnoringCase(p, token, "chunked")
                if self.chunked || !Self.codingsBeforeChunked.contains(where: { HTTP1Syntax.equalsIgnoringCase(p, token, $0) }) {
                    self.codingsAccepted = self.codingsAccepted && !self.chunked && isChunked
                }
                self.chunked = isChunked
            }
        default:
            break
        }
        return nil
    }
}
