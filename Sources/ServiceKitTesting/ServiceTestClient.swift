public import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
public import NIOCore
public import ServiceKit
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sends requests to a ServiceKit app, in-process (no sockets) or over a real socket, and keeps cookies
/// between requests like a browser, so sessions work across calls (Flask's `app.test_client()`).
///
/// ```swift
/// let client = try app.testClient()
/// let response = try await client.get("/api", headers: [.authorization: "Basic YWxpY2U6cHc="])
/// #expect(try response.json() == ["Hello": "alice"])
/// ```
public final class ServiceTestClient: Sendable {
    private enum Transport: Sendable {
        case inProcess(responder: any HTTPResponder<ServiceContext>, logger: Logger, remoteAddress: SocketAddress?)
        case live(any TestClientProtocol)
    }

    private let transport: Transport
    private let jar = Mutex<[String: String]>([:])

    private init(transport: Transport) {
        self.transport = transport
    }

    /// The port of the live server, or `nil` in-process.
    public var port: Int? {
        if case .live(let client) = self.transport { client.port } else { nil }
    }

    /// The cookies the client holds and sends.
    public var cookies: [String: String] { self.jar.withLock { $0 } }

    /// Sets a cookie to send with later requests, as if a server had set it.
    public func setCookie(_ name: String, _ value: String) {
        self.jar.withLock { $0[name] = value }
    }

    /// Sends a request and returns the whole response.
    public func request(
        _ method: HTTPRequest.Method,
        _ path: String,
        headers: HTTPFields = [:],
        body: ByteBuffer? = nil
    ) async throws -> TestResult {
        var headers = headers
        let cookieHeader = self.jar.withLock { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if !cookieHeader.isEmpty, headers[.cookie] == nil { headers[.cookie] = cookieHeader }
        let result: TestResult
        switch self.transport {
        case .inProcess(let responder, let logger, let remoteAddress):
            if let body, headers[.contentLength] == nil { headers[.contentLength] = String(body.readableBytes) }
            let head = HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers)
            let request = Request(head: head, body: .init(buffer: body ?? ByteBuffer()))
            let context = ServiceContext(logger: logger, remoteAddress: remoteAddress)
            let response = try await responder.respond(to: request, context: context)
            let collector = BodyCollector()
            try await response.body.write(BodyCollector.Writer(collector: collector))
            result = TestResult(status: response.status, headers: response.headers, body: collector.buffer.withLock { $0 })
        case .live(let client):
            let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body)
            result = TestResult(status: response.status, headers: response.headers, body: response.body)
        }
        self.store(result.header("set-cookie"))
        return result
    }

    /// Sends a GET.
    public func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResult {
        try await self.request(.get, path, headers: headers)
    }

    /// Sends a POST with a raw body.
    public func post(_ path: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> TestResult {
        try await self.request(.post, path, headers: headers, body: body)
    }

    /// Sends a request with `json` encoded as the body and `Content-Type: application/json`.
    public func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        json: some Encodable,
        headers: HTTPFields = [:]
    ) async throws -> TestResult {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await self.request(method, path, headers: headers, body: ByteBuffer(bytes: try JSONEncoder().encode(json)))
    }

    private func store(_ setCookies: [String]) {
        guard !setCookies.isEmpty else { return }
        self.jar.withLock { jar in
            for header in setCookies {
                let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals])
                let value = String(pair[pair.index(after: equals)...])
                let expired = parts.contains { $0.lowercased() == "max-age=0" } || value.isEmpty
                jar[name] = expired ? nil : value
            }
        }
    }
}

extension ServiceApp {
    /// A client that calls the app in-process, without sockets.
    ///
    /// - Parameter remoteAddress: the peer address handlers see (`context.remoteAddr`).
    public func testClient(remoteAddress: SocketAddress? = nil) throws -> ServiceTestClient {
        try ServiceTestClient.inProcess(responder: self.buildResponder(), logger: self.logger, remoteAddress: remoteAddress)
    }

    /// Runs the app on a real socket on 127.0.0.1 (a free port) for the duration of `body`.
    public func withLiveClient<Value: Sendable>(_ body: @Sendable (ServiceTestClient) async throws -> Value) async throws -> Value {
        let application = Application(
            responder: try self.buildResponder(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: self.name),
            logger: self.logger
        )
        return try await application.test(.live) { client in
            try await body(ServiceTestClient.live(client))
        }
    }
}

extension ServiceTestClient {
    fileprivate static func inProcess(
        responder: any HTTPResponder<ServiceContext>,
        logger: Logger,
        remoteAddress: SocketAddress?
    ) -> ServiceTestClient {
        ServiceTestClient(transport: .inProcess(responder: responder, logger: logger, remoteAddress: remoteAddress))
    }

    fileprivate static func live(_ client: any TestClientProtocol) -> ServiceTestClient {
        ServiceTestClient(transport: .live(client))
    }
}

/// Gathers a response body written by Hummingbird's body writer.
private final class BodyCollector: Sendable {
    let buffer = Mutex(ByteBuffer())

    struct Writer: ResponseBodyWriter {
        let collector: BodyCollector

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.collector.buffer.withLock { _ = $0.writeBuffer(&buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
