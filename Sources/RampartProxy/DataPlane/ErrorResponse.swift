import NIOCore
import NIOHTTP1
import ProxyCore
import ServiceKit

/// A rejection or failure the proxy answers itself, as the shared JSON error body
/// `{"code","description","message", ...extra}`, the same shape every ServiceKit backend sends.
struct ErrorResponse {
    var status: Int
    var description: String?
    var extra: [String: JSONValue] = [:]
    var headers: [(String, String)] = []

    /// The whole response as bytes: head, and the body unless the request was HEAD (its length is given still).
    func serialized(version: HTTPVersion, keepAlive: Bool, includeBody: Bool, allocator: ByteBufferAllocator) -> (bytes: ByteBuffer, bodyLength: Int) {
        let body = ErrorBody(code: self.status, description: self.description, extra: self.extra).serialized()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        for (name, value) in self.headers { headers.add(name: name, value: value) }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        var buffer = allocator.buffer(capacity: 256 + body.count)
        HTTP1Serializer.writeResponseHead(version: version, status: self.status, headers: headers, into: &buffer)
        if includeBody { buffer.writeBytes(body) }
        return (buffer, includeBody ? body.count : 0)
    }
}
