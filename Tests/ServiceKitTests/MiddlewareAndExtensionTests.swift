import HTTPTypes
import Hummingbird
import ServiceKit
import ServiceKitTesting
import Synchronization
import TestSupport
import Testing

/// The seed's XFFMiddleware: fakes an X-Forwarded-For chain when the request has none.
struct XFFMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    var realIP = "10.1.1.1"

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        let name = HTTPField.Name("X-Forwarded-For")!
        guard request.headers[name] == nil else { return try await next(request, context) }
        // Hummingbird's request head is immutable, as the seed's ASGI headers are: build a new request.
        var head = request.head
        head.headerFields[name] = "\(self.realIP), 10.3.4.5, 127.0.0.1"
        return try await next(Request(head: head, body: request.body), context)
    }
}

/// An extension that registers config, a hook, a signal receiver and a route in one call.
struct RequestCounter: ServiceExtension {
    let counted = Locked(0)

    func register(on app: ServiceApp) throws {
        app.config.declare("COUNTER_HEADER", type: .string, default: "X-Request-Count")
        let header = HTTPField.Name(app.config.string("COUNTER_HEADER") ?? "X-Request-Count")!
        let counted = self.counted
        app.signals.requestStarted.connect { _, _ in counted.withLock { $0 += 1 } }
        app.afterRequest { response, _, _ in
            var response = response
            response.headers[header] = String(counted.withLock { $0 })
            return response
        }
        app.get("/_count") { _, _ in ["count": counted.withLock { $0 }] }
    }
}


@Suite("Middleware and extensions")
struct MiddlewareAndExtensionTests {
    /// The seed's middleware.py app.
    func makeSeedApp() -> ServiceApp {
        let app = ServiceApp("middleware")
        app.add(middleware: XFFMiddleware())
        app.get("/api") { request, context in
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]
            let ip = forwarded.map { $0.split(separator: ",")[0].trimmingCharacters(in: .whitespaces) } ?? context.remoteAddr ?? ""
            return ["Hello": ip]
        }
        return app
    }

    @Test func seedXFFMiddlewareFakesTheClientAddress() async throws {
        let client = try self.makeSeedApp().testClient()
        #expect(try await client.get("/api").json() == ["Hello": "10.1.1.1"])
        let real = try await client.get("/api", headers: [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7"])
        #expect(try real.json() == ["Hello": "198.51.100.7"])
    }

    @Test func middlewareWrapsUnmatchedRequestsAndMayAnswerThem() async throws {
        struct Maintenance: RouterMiddleware {
            typealias Context = ServiceContext
            func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
                request.uri.path.hasPrefix("/admin") ? Response(status: .serviceUnavailable) : try await next(request, context)
            }
        }
        let app = self.makeSeedApp()
        app.add(middleware: Maintenance())
        let client = try app.testClient()
        #expect(try await client.get("/admin/unknown").status == .serviceUnavailable)
        #expect(try await client.get("/unknown").status == .notFound)
    }

    @Test func extensionRegistersEverythingInOneCall() async throws {
        let app = ServiceApp("extended")
        app.config["COUNTER_HEADER"] = "X-Seen"
        let counter = RequestCounter()
        try app.install(counter)
        try app.install(counter)
        #expect(app.config.string("COUNTER_HEADER") == "X-Seen", "a default never overrides a value already set")
        app.get("/") { _, _ in "hi" }
        let client = try app.testClient()
        _ = try await client.get("/")
        let second = try await client.get("/")
        #expect(second.header("x-seen") == ["2"], "installed once even when installed twice")
        #expect(try await client.get("/_count").json() == ["count": 3])
    }
}
