import Hummingbird
import HTTPTypes

/// One route's responder: checks the path converters, then runs the blueprint's hooks and error handlers
/// around the handler.
struct EndpointResponder: HTTPResponder {
    typealias Context = ServiceContext

    let pattern: RoutePattern
    let name: String
    let blueprintHooks: HookSet
    let endpoint: Scaffold.Endpoint

    func respond(to request: Request, context: ServiceContext) async throws -> Response {
        var context = context
        for (parameter, converter) in self.pattern.parameters {
            if converter == .path {
                let rest = context.parameters.getCatchAll().joined(separator: "/")
                guard converter.accepts(rest) else { throw HTTPAbort(.notFound) }
                context.coreContext.parameters[Substring(parameter)] = Substring(rest)
            } else {
                guard let value = context.parameters[Substring(parameter)], converter.accepts(value) else {
                    throw HTTPAbort(.notFound)
                }
            }
        }
        context.endpoint = self.name

        var response: Response
        var failure: (any Error)?
        do {
            if let early = try await self.blueprintHooks.runBefore(request, context) {
                response = early
            } else {
                response = try await self.endpoint(request, context)
            }
        } catch {
            guard self.blueprintHooks.handler(for: error) != nil else {
                await self.blueprintHooks.runTeardown(error, request, context)
                throw error
            }
            failure = error
            response = await ErrorResponder.respond(to: error, scopes: [self.blueprintHooks], request: request, context: context)
        }
        response = try await self.blueprintHooks.runAfter(response, request, context)
        await self.blueprintHooks.runTeardown(failure, request, context)
        return response
    }
}

/// Answers a method the path does not have with 405 and the methods it does have in `Allow`.
struct MethodNotAllowedResponder: HTTPResponder {
    typealias Context = ServiceContext

    let allowed: String

    func respond(to request: Request, context: ServiceContext) async throws -> Response {
        throw HTTPAbort(.methodNotAllowed, headers: [.allow: self.allowed])
    }
}

/// Answers `OPTIONS` with the path's methods in `Allow`, as Flask and Quart do automatically.
struct OptionsResponder: HTTPResponder {
    typealias Context = ServiceContext

    let allowed: String

    func respond(to request: Request, context: ServiceContext) async throws -> Response {
        Response(status: .ok, headers: [.allow: self.allowed, .contentLength: "0"])
    }
}
