import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking TCP connection to 127.0.0.1 for tests that must control every byte: malformed requests,
/// smuggling attempts, pipelining, keep-alive. Reads time out after `timeout` seconds (generous: the whole
/// suite shares two cores).
public final class RawHTTPConnection {
    /// A response as read off the wire.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// Header fields in order, names as sent.
        public let headers: [(name: String, value: String)]
        /// The body, de-chunked.
        public let body: [UInt8]

        /// The first value of header `name` (any case).
        public func header(_ name: String) -> String? {
            self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The body as text.
        public var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    /// Why reading failed.
    public enum Failure: Error {
        /// The peer closed before a full response.
        case closed
        /// The response could not be parsed.
        case malformed(String)
        /// Connecting failed with errno.
        case connect(Int32)
    }

    private let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int, timeout: Int = 30) throws {
        self.socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(self.socket, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(self.socket)
            throw Failure.connect(errno)
        }
    }

    deinit { close(self.socket) }

    /// Sends `text` as it is.
    public func send(_ text: String) {
        self.send(Array(text.utf8))
    }

    /// Sends `bytes` as they are.
    public func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Closes the sending side (the peer reads end of stream).
    public func shutdownWrite() {
        shutdown(self.socket, Int32(SHUT_WR))
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(self.socket, &chunk, chunk.count, 0)
        guard count > 0 else { throw Failure.closed }
        self.buffer.append(contentsOf: chunk[0..<count])
    }

    /// Whether the peer closed the connection (waits up to the read timeout).
    public func isClosedByPeer() -> Bool {
        if !self.buffer.isEmpty { return false }
        do {
            try self.fill()
            return false
        } catch {
            return true
        }
    }

    /// Reads one response; `bodyless` for answers to HEAD (and 1xx/204/304, which have none anyway).
    public func readResponse(bodyless: Bool = false) throws -> Response {
        let (status, headers) = try self.readHead()
        let response = { (body: [UInt8]) in Response(status: status, headers: headers, body: body) }
        if bodyless || status == 204 || status == 304 || (100..<200).contains(status) { return response([]) }
        if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            while self.buffer.count < length { try self.fill() }
            let body = Array(self.buffer[0..<length])
            self.buffer.removeFirst(length)
            return response(body)
        }
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            var body: [UInt8] = []
            while true {
                let line = try self.readLine()
                guard let size = Int(line.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure.malformed("chunk size \(line)") }
                if size == 0 {
                    while try !self.readLine().isEmpty {}
                    return response(body)
                }
                while self.buffer.count < size + 2 { try self.fill() }
                body += self.buffer[0..<size]
                self.buffer.removeFirst(size + 2)
            }
        }
        // Delimited by close.
        while (try? self.fill()) != nil {}
        let body = self.buffer
        self.buffer = []
        return response(body)
    }

    /// Reads a response's status line and header fields.
    private func readHead() throws -> (status: Int, headers: [(name: String, value: String)]) {
        let separator = Array("\r\n\r\n".utf8)
        var end: Int?
        while end == nil {
            if self.buffer.count >= 4 {
                end = (0...(self.buffer.count - 4)).first { self.buffer[$0..<$0 + 4].elementsEqual(separator) }
            }
            if end == nil { try self.fill() }
        }
        guard let headEnd = end else { throw Failure.malformed("no head") }
        let head = String(decoding: self.buffer[0..<headEnd], as: UTF8.self)
        self.buffer.removeFirst(headEnd + 4)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.malformed(lines[0]) }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, headers)
    }

    /// Reads a response head and then counts (without keeping) a Content-Length body; returns status and count.
    public func readCountingBody() throws -> (status: Int, bytes: Int) {
        let (status, headers) = try self.readHead()
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        var counted = self.buffer.count
        self.buffer = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while counted < length {
            let count = recv(self.socket, &chunk, chunk.count, 0)
            guard count > 0 else { throw Failure.closed }
            counted += count
        }
        return (status, counted)
    }

    /// Reads exactly `count` raw bytes (after a protocol switch, say).
    public func readBytes(count: Int) throws -> [UInt8] {
        while self.buffer.count < count { try self.fill() }
        let bytes = Array(self.buffer[0..<count])
        self.buffer.removeFirst(count)
        return bytes
    }

    private func readLine() throws -> String {
        while true {
            if let index = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: self.buffer[0..<index], as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                self.buffer.removeFirst(index + 1)
                return line
            }
            try self.fill()
        }
    }
}

/// Runs blocking socket work on a Dispatch thread, so a test waiting on a socket never occupies the Swift
/// concurrency pool that in-process servers need to answer it.
public func offloaded<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
