import HTTPTypes
public import Hummingbird
public import Logging

/// A ServiceKit application: Quart's `app` object.
///
/// ```swift
/// let app = ServiceApp("globals")
/// app.beforeRequest { request, context in
///     context.g.user = request.authorization?.username ?? "Anonymous"
///     return nil
/// }
/// app.get("/api") { _, context in ["Hello": context.g.user as? String ?? ""] }
/// try await app.run(host: "127.0.0.1", port: 5000)
/// ```
/// Set the app up (routes, blueprints, hooks, config, middleware, extensions), then build or run it. Building
/// freezes everything into an immutable responder: set-up after that has no effect on the running app.
public final class ServiceApp: Scaffold {
    /// The app's name: the sender of its signals and the label of its logger.
    public let name: String
    /// Configuration, with Quart's defaults.
    public var config: ServiceConfig
    /// Lifecycle and named signals.
    public let signals = AppSignals()
    /// The app's logger.
    public var logger: Logger
    /// The folder `renderTemplate` reads from; `templates` in the working directory by default.
    public var templateFolder: String? = "templates"

    private var blueprints: [(blueprint: Blueprint, urlPrefix: String)] = []
    private var middleware: [any RouterMiddleware<ServiceContext>] = []
    private var installed: Set<String> = []

    /// Creates an app called `name`.
    public init(_ name: String, config: ServiceConfig = ServiceConfig(), logger: Logger? = nil) {
        self.name = name
        self.config = config
        self.logger = logger ?? Logger(label: name)
        super.init()
    }

    /// Registers a blueprint's routes, hooks and error handlers, under `urlPrefix` if given (else its own).
    public func register(_ blueprint: Blueprint, urlPrefix: String? = nil) {
        self.blueprints.append((blueprint, urlPrefix ?? blueprint.urlPrefix))
    }

    /// Adds middleware around the whole app, as ASGI middleware wraps a Quart app: the first added is the
    /// outermost. Middleware sees every request, matched or not, before any hook, and may answer it itself.
    public func add(middleware: some RouterMiddleware<ServiceContext>) {
        self.middleware.append(middleware)
    }

    /// Installs an extension: it registers its hooks, signals, config defaults and routes in one call.
    /// Installing the same extension type twice does nothing the second time.
    public func install(_ extension: some ServiceExtension) throws {
        guard self.installed.insert(String(reflecting: type(of: `extension`))).inserted else { return }
        try `extension`.register(on: self)
    }

    /// Builds the responder that serves the app: the router, the 405 and OPTIONS responders, and the middleware.
    ///
    /// - Throws: ``RouteError`` for a malformed route or two routes with the same endpoint name.
    public func buildResponder() throws -> some HTTPResponder<ServiceContext> {
        let router = Router(context: ServiceContext.self, options: [.autoGenerateHeadEndpoints])
        router.add(middleware: RoutedErrorMiddleware())
        var routesByName: [String: RoutePattern] = [:]
        var methodsByPath: [String: Set<HTTPRequest.Method>] = [:]
        var pathOrder: [String] = []
        for mounted in try self.mountedRoutes() {
            let (name, pattern) = (mounted.name, mounted.pattern)
            guard routesByName.updateValue(pattern, forKey: name) == nil else {
                throw RouteError(pattern: pattern.description, reason: "endpoint name \"\(name)\" is already used; give the route another name")
            }
            let path = pattern.routerPath
            if methodsByPath[path] == nil { pathOrder.append(path) }
            for method in mounted.route.methods {
                guard methodsByPath[path, default: []].insert(method).inserted else {
                    throw RouteError(pattern: pattern.description, reason: "\(method) is registered twice for this path")
                }
                router.on(RouterPath(path), method: method, responder: EndpointResponder(
                    pattern: pattern, name: name, blueprintHooks: mounted.hooks, endpoint: mounted.route.endpoint
                ))
            }
        }
        for path in pathOrder {
            let methods = methodsByPath[path, default: []]
            var allowed = methods.union([.options])
            if methods.contains(.get) { allowed.insert(.head) }
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            if !methods.contains(.options) { router.on(RouterPath(path), method: .options, responder: OptionsResponder(allowed: allow)) }
            for method in Self.standardMethods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method, responder: MethodNotAllowedResponder(allowed: allow))
            }
        }

        let runtime = AppRuntime(
            name: self.name,
            config: self.config,
            signals: self.signals,
            hooks: self.hooks,
            templates: self.templateFolder.map {
                TemplateRenderer(directory: $0, reload: self.config.bool("TEMPLATES_AUTO_RELOAD") ?? self.config.debug)
            },
            routesByName: routesByName,
            logger: self.logger
        )
        var responder: any HTTPResponder<ServiceContext> = AppResponder(runtime: runtime, router: router.buildResponder())
        for middleware in self.middleware.reversed() {
            responder = MiddlewareResponder(middleware: middleware, next: responder)
        }
        return ResponderBox(responder)
    }

    /// Builds a URL for an endpoint outside a request: `try app.urlFor("teams.get_team", team_id: 1)`.
    /// An app whose routes would not build knows no endpoints.
    public var urlFor: URLBuilder {
        let mounted = (try? self.mountedRoutes()) ?? []
        return URLBuilder(routes: Dictionary(mounted.map { ($0.name, $0.pattern) }) { first, _ in first }, currentEndpoint: nil)
    }

    /// Every route as served: the app's own, then each blueprint's under its URL prefix, with its full endpoint
    /// name (`teams.get_team`) and the hooks of its scope.
    private func mountedRoutes() throws -> [(name: String, pattern: RoutePattern, route: RouteDefinition, hooks: HookSet)] {
        let scopes: [(hooks: HookSet, prefix: String, namePrefix: String, routes: [RouteDefinition], errors: [RouteError])] =
            [(HookSet(), "", "", self.routes, self.registrationErrors)]
            + self.blueprints.map { ($0.blueprint.hooks, $0.urlPrefix, $0.blueprint.name + ".", $0.blueprint.routes, $0.blueprint.registrationErrors) }
        if let error = scopes.flatMap(\.errors).first { throw error }
        return try scopes.flatMap { scope in
            try scope.routes.map { route in
                (scope.namePrefix + route.name, try RoutePattern(scope.prefix + route.pattern.description), route, scope.hooks)
            }
        }
    }

    private static let standardMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch]
}

/// One middleware in front of the rest of the app.
struct MiddlewareResponder: HTTPResponder {
    typealias Context = ServiceContext
    let middleware: any RouterMiddleware<ServiceContext>
    let next: any HTTPResponder<ServiceContext>

    func respond(to request: Request, context: ServiceContext) async throws -> Response {
        try await self.middleware.handle(request, context: context) { request, context in
            try await self.next.respond(to: request, context: context)
        }
    }
}

/// Erases the middleware chain's type so `buildResponder` has one concrete result.
struct ResponderBox: HTTPResponder {
    typealias Context = ServiceContext
    let base: any HTTPResponder<ServiceContext>

    init(_ base: any HTTPResponder<ServiceContext>) { self.base = base }

    func respond(to request: Request, context: ServiceContext) async throws -> Response {
        try await self.base.respond(to: request, context: context)
    }
}
