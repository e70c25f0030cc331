import NIOCore
import NIOHTTP1
import ServiceKit

/// A rejection or failure the proxy answers itself, as the shared JSON error body
/// `{"code","description","message", ...extra}`, the same shape every ServiceKit backend sends.
struct ErrorResponse {
    var status: Int
    var description: String?
    var extra: [String: JSONValue] = [:]
    var headers: [(String, String)] = []

    func head(version: HTTPVersion, keepAlive: Bool, bodyLength: Int) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bodyLength))
        for (name, value) in self.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: self.status), headers: headers)
    }

    func body(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(bytes: ErrorBody(code: self.status, description: self.description, extra: self.extra).serialized())
    }
}
