public import Hummingbird

/// Runs before the handler; returning a response answers the request early and skips the handler.
public typealias BeforeRequestHook = @Sendable (Request, ServiceContext) async throws -> Response?
/// Runs after the handler (and after an error handler made a response); returns the response to send.
public typealias AfterRequestHook = @Sendable (Response, Request, ServiceContext) async throws -> Response
/// Runs last for every request, whatever happened; sees the error the request raised, if any.
public typealias TeardownHook = @Sendable ((any Error)?, Request, ServiceContext) async -> Void
/// Makes the response for an error.
public typealias ErrorHandler = @Sendable (any Error, Request, ServiceContext) async throws -> Response

/// The hooks and error handlers of an app or a blueprint.
struct HookSet: Sendable {
    struct ErrorHandlerEntry: Sendable {
        /// Whether this handler takes the error (by type, or by the status it maps to).
        let matches: @Sendable (any Error) -> Bool
        /// Handlers by type are consulted before handlers by status, as Flask does.
        let byType: Bool
        let handler: ErrorHandler
    }

    var before: [BeforeRequestHook] = []
    var after: [AfterRequestHook] = []
    var teardown: [TeardownHook] = []
    var errorHandlers: [ErrorHandlerEntry] = []

    /// Runs the before hooks in registration order; the first response ends the chain.
    func runBefore(_ request: Request, _ context: ServiceContext) async throws -> Response? {
        for hook in self.before {
            if let response = try await hook(request, context) { return response }
        }
        return nil
    }

    /// Runs the after hooks in reverse registration order, as Flask does.
    func runAfter(_ response: Response, _ request: Request, _ context: ServiceContext) async throws -> Response {
        var response = response
        for hook in self.after.reversed() { response = try await hook(response, request, context) }
        return response
    }

    /// Runs the teardown hooks in reverse registration order.
    func runTeardown(_ error: (any Error)?, _ request: Request, _ context: ServiceContext) async {
        for hook in self.teardown.reversed() { await hook(error, request, context) }
    }

    /// The handler for `error`: the first by type, else the first by status; `nil` when none applies.
    func handler(for error: any Error) -> ErrorHandler? {
        (self.errorHandlers.first { $0.byType && $0.matches(error) }
            ?? self.errorHandlers.first { !$0.byType && $0.matches(error) })?.handler
    }
}
