import NIOCore
import NIOHTTP1

/// Writes the HTTP/1.1 the proxy produces itself: the heads of its own answers, and chunk framing for request
/// bodies it streams. (Request heads for backends are the client's, rewritten by ``ForwardedHeaders``.)
public enum HTTP1Serializer {
    /// A status line with the standard reason phrase, the fields, the empty line.
    public static func writeResponseHead(version: HTTPVersion, status: Int, headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(status))
        buffer.writeStaticString(" ")
        buffer.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
        buffer.writeStaticString("\r\n")
        Self.writeFields(headers, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// The size line that starts a chunk of `length` bytes.
    public static func writeChunkStart(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeString(String(length, radix: 16))
        buffer.writeStaticString("\r\n")
    }

    /// The CRLF after a chunk's data.
    public static let chunkEnd: StaticString = "\r\n"
    /// The last chunk and the end of an empty trailer section.
    public static let lastChunk: StaticString = "0\r\n\r\n"

    private static func writeFields(_ headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }
}
