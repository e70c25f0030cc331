public import HTTPTypes
public import Hummingbird

/// What an app and a blueprint share (Flask's `Scaffold`): route registration, request hooks and error
/// handlers.
public class Scaffold {
    /// A handler as stored: already turning its result into a response.
    typealias Endpoint = @Sendable (Request, ServiceContext) async throws -> Response

    struct RouteDefinition {
        let pattern: RoutePattern
        let methods: [HTTPRequest.Method]
        let name: String
        let endpoint: Endpoint
    }

    var routes: [RouteDefinition] = []
    var hooks = HookSet()
    /// Registration mistakes, reported when the app is built so set-up code reads as a list of declarations.
    var registrationErrors: [RouteError] = []

    init() {}

    // MARK: Routes

    /// Registers `handler` for `path` (Quart syntax: `/teams/<int:team_id>`) and `methods`.
    ///
    /// - Parameter name: the endpoint name for ``URLBuilder`` (`urlFor`); defaults to the path.
    public func route<Result: ResponseConvertible>(
        _ path: String,
        methods: [HTTPRequest.Method] = [.get],
        name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) {
        self.addRoute(path, methods: methods, name: name) { request, context in
            try await handler(request, context).makeResponse(in: context)
        }
    }

    /// Registers a handler that returns any `Encodable`, sent as JSON (Quart's `return {...}`).
    @_disfavoredOverload
    public func route<Result: Encodable & Sendable>(
        _ path: String,
        methods: [HTTPRequest.Method] = [.get],
        name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) {
        self.addRoute(path, methods: methods, name: name) { request, context in
            try JSON(try await handler(request, context)).makeResponse(in: context)
        }
    }

    /// Registers a GET handler.
    public func get<Result: ResponseConvertible>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.get], name: name, handler) }

    /// Registers a GET handler returning JSON.
    @_disfavoredOverload
    public func get<Result: Encodable & Sendable>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.get], name: name, handler) }

    /// Registers a POST handler.
    public func post<Result: ResponseConvertible>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.post], name: name, handler) }

    /// Registers a POST handler returning JSON.
    @_disfavoredOverload
    public func post<Result: Encodable & Sendable>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.post], name: name, handler) }

    /// Registers a PUT handler.
    public func put<Result: ResponseConvertible>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.put], name: name, handler) }

    /// Registers a PUT handler returning JSON.
    @_disfavoredOverload
    public func put<Result: Encodable & Sendable>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.put], name: name, handler) }

    /// Registers a DELETE handler.
    public func delete<Result: ResponseConvertible>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.delete], name: name, handler) }

    /// Registers a DELETE handler returning JSON.
    @_disfavoredOverload
    public func delete<Result: Encodable & Sendable>(
        _ path: String, name: String? = nil,
        _ handler: @escaping @Sendable (Request, ServiceContext) async throws -> Result
    ) { self.route(path, methods: [.delete], name: name, handler) }

    private func addRoute(_ path: String, methods: [HTTPRequest.Method], name: String?, _ endpoint: @escaping Endpoint) {
        do {
            let pattern = try RoutePattern(path)
            self.routes.append(RouteDefinition(pattern: pattern, methods: methods, name: name ?? path, endpoint: endpoint))
        } catch {
            self.registrationErrors.append(error)
        }
    }

    // MARK: Hooks

    /// Adds a hook that runs before each request (of this blueprint, when registered on one).
    /// Return a response to answer early; return `nil` to go on.
    public func beforeRequest(_ hook: @escaping BeforeRequestHook) {
        self.hooks.before.append(hook)
    }

    /// Adds a hook that may change each response. After hooks run in reverse order of registration.
    public func afterRequest(_ hook: @escaping AfterRequestHook) {
        self.hooks.after.append(hook)
    }

    /// Adds a hook that runs at the end of every request, even a failed one, with the error if any.
    public func teardownRequest(_ hook: @escaping TeardownHook) {
        self.hooks.teardown.append(hook)
    }

    // MARK: Error handlers

    /// Handles errors that end in `status` (`abort(404)`, an unknown path, a thrown error as 500, ...).
    public func errorHandler<Result: ResponseConvertible>(
        _ status: HTTPResponse.Status,
        _ handler: @escaping @Sendable (any Error, Request, ServiceContext) async throws -> Result
    ) {
        self.hooks.errorHandlers.append(.init(
            matches: { ErrorResponder.status(of: $0) == status },
            byType: false,
            handler: { error, request, context in
                var response = try await handler(error, request, context).makeResponse(in: context)
                if response.status == .ok { response.status = status }
                return response
            }
        ))
    }

    /// Handles errors of type `type`; consulted before handlers by status.
    public func errorHandler<Failure: Error, Result: ResponseConvertible>(
        for type: Failure.Type,
        _ handler: @escaping @Sendable (Failure, Request, ServiceContext) async throws -> Result
    ) {
        self.hooks.errorHandlers.append(.init(
            matches: { $0 is Failure },
            byType: true,
            handler: { error, request, context in
                // `matches` guarantees the cast.
                guard let failure = error as? Failure else { throw error }
                return try await handler(failure, request, context).makeResponse(in: context)
            }
        ))
    }
}
