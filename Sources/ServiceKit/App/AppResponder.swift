public import Hummingbird
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The whole request lifecycle of a ServiceKit app around Hummingbird's router, in Quart's order:
///
/// 1. `request_started`; the session is loaded from its cookie
/// 2. `MAX_CONTENT_LENGTH` is enforced; the app's before hooks run (one may answer early)
/// 3. the router dispatches to the endpoint (blueprint hooks and error handlers run there)
/// 4. an error becomes a response: `got_request_exception` for a 5xx, then error handlers or the JSON body
/// 5. the app's after hooks, then the session cookie is written if it changed
/// 6. `request_finished`; teardown hooks and `request_tearing_down` always run last.
public struct AppResponder: HTTPResponder {
    public typealias Context = ServiceContext

    let runtime: AppRuntime
    let router: any HTTPResponder<ServiceContext>

    public func respond(to request: Request, context: ServiceContext) async throws -> Response {
        let runtime = self.runtime
        var context = context
        context.runtime = runtime
        if let session = runtime.loadSession(from: request.headers[.cookie]) { context.session = session }
        let signals = runtime.signals
        if signals.requestStarted.hasReceivers { await signals.requestStarted.send(from: runtime.name, request) }

        var failure: (any Error)?
        var response: Response
        do {
            if let limit = runtime.maxContentLength, let length = request.headers[.contentLength].flatMap({ Int($0) }),
                length > limit
            {
                throw HTTPAbort(.contentTooLarge)
            }
            if let early = try await runtime.hooks.runBefore(request, context) {
                response = early
            } else {
                response = try await self.router.respond(to: request, context: context)
            }
        } catch {
            let error = (error as? RoutedError)?.underlying ?? error
            failure = error
            response = await self.respond(to: error, request: request, context: context)
        }

        do {
            response = try await runtime.hooks.runAfter(response, request, context)
        } catch {
            failure = error
            response = await self.respond(to: error, request: request, context: context)
        }
        if let cookie = runtime.sessionCookie(for: context.session) {
            response.headers.append(.init(name: .setCookie, value: cookie))
        }

        if signals.requestFinished.hasReceivers { await signals.requestFinished.send(from: runtime.name, response) }
        await runtime.hooks.runTeardown(failure, request, context)
        if signals.requestTearingDown.hasReceivers { await signals.requestTearingDown.send(from: runtime.name, failure) }
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "endpoint": "\(context.endpoint ?? "-")",
            ]
        )
        return response
    }

    private func respond(to error: any Error, request: Request, context: ServiceContext) async -> Response {
        let status = ErrorResponder.status(of: error)
        if status.code >= 500 {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            let signal = self.runtime.signals.gotRequestException
            if signal.hasReceivers { await signal.send(from: self.runtime.name, error) }
        }
        return await ErrorResponder.respond(to: error, scopes: [self.runtime.hooks], request: request, context: context)
    }
}

/// Carries an error out through Hummingbird's router, which would otherwise render Hummingbird's own error
/// body for an `HTTPResponseError`: ServiceKit renders every error itself.
struct RoutedError: Error {
    let underlying: any Error
}

/// Wraps every error leaving an endpoint (or the router's not-found responder) in ``RoutedError``.
struct RoutedErrorMiddleware: RouterMiddleware {
    typealias Context = ServiceContext

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as RoutedError {
            throw error
        } catch {
            throw RoutedError(underlying: error)
        }
    }
}
