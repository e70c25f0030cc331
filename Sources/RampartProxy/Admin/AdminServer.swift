import Hummingbird
import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import Prometheus
import ProxyCore
import ServiceKit
public import ServiceLifecycle

/// The admin listener (docs/stats.md): the dashboard, `/stats`, `/metrics`, `/healthz`, `/readyz` and
/// `POST /reload`, built on ServiceKit, so its errors have the same JSON body as the proxy's.
///
/// Bound beyond loopback it requires `Authorization: Bearer <token>` on everything but the health checks and
/// the dashboard page (which holds no figures; it sends the token it is given in its URL fragment).
public final class AdminServer: Service, Sendable {
    private let proxy: ProxyServer
    private let address: ProxyConfig.Address
    private let token: String?
    private let processMetrics: PrometheusCollectorRegistry?
    private let bound: NIOLockedValueBox<SocketAddress?> = NIOLockedValueBox(nil)
    private let waiters: NIOLockedValueBox<[CheckedContinuation<SocketAddress?, Never>]> = NIOLockedValueBox([])

    /// An admin listener for `proxy` on its config's admin address.
    ///
    /// - Parameter processMetrics: the registry behind swift-metrics in this process, appended to `/metrics`.
    /// - Throws: ``AdminServerError`` when the address is not loopback and no token is configured.
    public init(proxy: ProxyServer, processMetrics: PrometheusCollectorRegistry? = nil) throws(AdminServerError) {
        let config = proxy.configuration
        if let problem = config.adminTokenProblem { throw AdminServerError(message: problem) }
        self.proxy = proxy
        self.address = config.adminListen
        self.token = config.adminToken
        self.processMetrics = processMetrics
    }

    /// The address it listens on, once it does.
    public var boundAddress: SocketAddress? { self.bound.withLockedValue { $0 } }

    /// Waits until the listener is bound (or failed to bind, then nil).
    public func waitUntilListening() async -> SocketAddress? {
        await withCheckedContinuation { continuation in
            let now: SocketAddress?? = self.bound.withLockedValue { address in
                address.map { .some($0) } ?? self.waiters.withLockedValue { $0.append(continuation); return nil }
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        let app = self.makeApp()
        let server = try app.makeServer(host: self.address.host, port: self.address.port) { address in
            self.bound.withLockedValue { $0 = address }
            self.proxy.logger.info("admin listening", metadata: ["address": "\(self.address.host):\(address?.port ?? 0)"])
            for waiter in self.waiters.withLockedValue({ list in defer { list = [] }; return list }) { waiter.resume(returning: address) }
        }
        do {
            try await server.run()
        } catch {
            for waiter in self.waiters.withLockedValue({ list in defer { list = [] }; return list }) { waiter.resume(returning: nil) }
            throw ServeError.bindFailure(error, host: self.address.host, port: self.address.port, remedy: "change admin.listen (or RAMPART_ADMIN_LISTEN)")
        }
    }

    func makeApp() -> ServiceApp {
        let app = ServiceApp("rampart-admin", logger: self.proxy.logger)
        // The admin listener's own request counts and durations, through swift-metrics.
        app.add(middleware: MetricsMiddleware<ServiceContext>())
        let token = self.token
        let proxy = self.proxy
        app.beforeRequest { request, _ in
            guard let token, !["/healthz", "/readyz", "/"].contains(request.uri.path) else { return nil }
            guard case .bearer(let sent) = request.authorization, HMAC.constantTimeEquals(Array(sent.utf8), Array(token.utf8)) else {
                throw HTTPAbort(.unauthorized, "send the admin token as Authorization: Bearer <token>", headers: [.wwwAuthenticate: "Bearer"])
            }
            return nil
        }
        app.get("/") { _, _ in
            Reply(DashboardPage.html, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"])
        }
        app.get("/stats") { _, _ in
            Reply(StatsReport.json(await proxy.status()), headers: [.cacheControl: "no-store"])
        }
        let process = self.processMetrics
        app.get("/metrics") { _, _ in
            Reply(PrometheusExporter.text(await proxy.status(), process: process), headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"])
        }
        app.get("/healthz") { _, _ in ["status": "ok"] }
        app.get("/readyz") { _, _ in
            var reasons: [String] = []
            if !proxy.isListening { reasons.append("the traffic listener is not accepting connections") }
            for upstream in await proxy.upstreams() where !upstream.healthy { reasons.append("upstream \"\(upstream.name)\" has no healthy server") }
            guard reasons.isEmpty else { throw HTTPAbort(.serviceUnavailable, reasons.joined(separator: "; "), extra: ["reasons": .array(reasons.map(JSONValue.string))]) }
            return ["status": "ready"]
        }
        app.post("/reload") { _, _ in
            let result = await proxy.reload(trigger: .api)
            if let error = result.error {
                throw HTTPAbort(.unprocessableContent, "the rules were not reloaded; the previous rules keep serving", extra: ["error": .string(error)])
            }
            return StatsReport.reload(result)
        }
        return app
    }
}

/// The admin listener cannot start as configured.
public struct AdminServerError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public let message: String

    public var description: String { self.message }
}
