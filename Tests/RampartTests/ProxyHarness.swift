import Firewall
import Foundation
import Logging
import NIOCore
import ProxyCore
import RampartProxy
import NetworkAddress
import RateLimit
import ServiceKit
import ServiceKitTesting
import ServiceLifecycle
import TestSupport

/// A backend on ServiceKit that reports what it received, and counts requests.
enum EchoBackend {
    static func make(seen: Locked<Int>) -> ServiceApp {
        let app = ServiceApp("echo-backend")
        app.route("/<path:rest>", methods: [.get, .post, .put, .head, .delete]) { request, context in
            seen.withLock { $0 += 1 }
            var headers: [String: JSONValue] = [:]
            for field in request.headers { headers[field.name.canonicalName] = .string(field.value) }
            let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            return JSON(JSONValue.object([
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "query": .string(request.uri.query ?? ""),
                "headers": .object(headers),
                "body_bytes": .int(body.readableBytes),
            ]))
        }
        app.route("/empty") { _, _ in HTTPResponse.Status.noContent }
        app.route("/not-modified") { _, _ in HTTPResponse.Status.notModified }
        app.route("/big/<int:size>") { request, context in
            let size = try context.parameters.require("size", as: Int.self)
            return Reply(String(repeating: "x", count: size), status: .ok)
        }
        return app
    }
}

/// A proxy in front of `backendPort` (and a dead port for `/dead`), listening on a free loopback port.
struct ProxyHarness: Sendable {
    let server: ProxyServer
    let port: Int
    /// The `dead` upstream's port, held so that no other test's server can take it while this proxy runs.
    let deadPort: RefusingPort

    static let policies = """
        policies:
          - name: burst-test
            match: {path_prefix: /burst}
            rate: 1/min
            burst: 3
          - name: key-test
            match: {path_prefix: /keyed}
            key: [{header: X-API-Key}]
            rate: 1/min
            burst: 1
        """

    /// - Parameters:
    ///   - rulesDirectory: load rules and policies from this directory (so they can be reloaded); by default the
    ///     repository's firewall rules and ``policies``.
    static func start(
        backendPort: Int, trusted: [String] = [], rulesDirectory: String? = nil, accessLog: AccessLogger? = nil,
        configure: (inout ProxyConfig) -> Void = { _ in }
    ) async throws -> ProxyHarness {
        var config = ProxyConfig()
        config.listen = ProxyConfig.Address(host: "127.0.0.1", port: 0)
        var backend = ProxyConfig.Upstream(name: "backend", servers: [ProxyConfig.Address(host: "127.0.0.1", port: backendPort)])
        backend.responseTimeout = 30
        let deadPort = try RefusingPort()
        config.upstreams = [backend, ProxyConfig.Upstream(name: "dead", servers: [ProxyConfig.Address(host: "127.0.0.1", port: deadPort.port)])]
        config.routes = [
            ProxyConfig.Route(name: "dead", pathPrefix: "/dead", upstream: "dead"),
            ProxyConfig.Route(name: "api", pathPrefix: "/api", upstream: "backend", stripPrefix: true),
            ProxyConfig.Route(name: "only-example", host: "example.org", pathPrefix: "/", upstream: "backend"),
            ProxyConfig.Route(name: "default", pathPrefix: "/app", upstream: "backend"),
            ProxyConfig.Route(name: "burst", pathPrefix: "/burst", upstream: "backend"),
            ProxyConfig.Route(name: "root", pathPrefix: "/", upstream: "backend"),
        ]
        config.trustedProxies = try trusted.map { try CIDRBlock(parsing: $0) }
        config.adminListen = ProxyConfig.Address(host: "127.0.0.1", port: 0)
        configure(&config)
        let server: ProxyServer
        if let rulesDirectory {
            config.rulesDirectory = rulesDirectory
            server = try ProxyServer(config: config, threads: 1, logger: Logger(label: "test-proxy"), accessLog: accessLog)
        } else {
            let firewall = try RuleSetLoader.load(path: repositoryRoot + "/rules/firewall")
            let limiter = RateLimiter(policies: try PolicyFile.parse(self.policies, file: "test-ratelimits.yaml"))
            server = ProxyServer(config: config, firewall: firewall, rateLimiter: limiter, threads: 1, logger: Logger(label: "test-proxy"), accessLog: accessLog)
        }
        let address = try await server.start()
        return ProxyHarness(server: server, port: address.port ?? 0, deadPort: deadPort)
    }

    func stop() async throws {
        try await self.server.shutdown()
    }

    /// One request on a fresh connection, read to its end (off the concurrency pool).
    func request(_ text: String, bodyless: Bool = false) async throws -> RawHTTPConnection.Response {
        let port = self.port
        return try await offloaded {
            let connection = try RawHTTPConnection(port: port)
            connection.send(text)
            return try connection.readResponse(bodyless: bodyless)
        }
    }
}

/// An admin listener for a harness's proxy, on a free loopback port, run in its own service group.
struct AdminHarness: Sendable {
    let admin: AdminServer
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(_ proxy: ProxyHarness) async throws -> AdminHarness {
        let admin = try AdminServer(proxy: proxy.server)
        let group = ServiceGroup(services: [admin], logger: Logger(label: "test-admin"))
        let task = Task { try await group.run() }
        guard let address = await admin.waitUntilListening(), let port = address.port else { throw RawHTTPConnection.Failure.closed }
        return AdminHarness(admin: admin, port: port, group: group, task: task)
    }

    func stop() async {
        await self.group.triggerGracefulShutdown()
        _ = try? await self.task.value
    }

    /// One request to the admin listener, read to its end.
    func request(_ method: String, _ path: String, token: String? = nil) async throws -> RawHTTPConnection.Response {
        let port = self.port
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return try await offloaded {
            let connection = try RawHTTPConnection(port: port)
            connection.send("\(method) \(path) HTTP/1.1\r\nHost: admin\r\n\(authorization)Content-Length: 0\r\nConnection: close\r\n\r\n")
            return try connection.readResponse()
        }
    }

    /// `GET /stats`, parsed.
    func stats() async throws -> JSONValue {
        try JSONValue(parsing: try await self.request("GET", "/stats").body)
    }
}
