public import HTTPTypes
public import Hummingbird
import NIOCore

/// Turns an error into the response the client gets: a matching error handler's, or the JSON ``ErrorBody``.
public enum ErrorResponder {
    /// The status an error ends a request with: an ``HTTPAbort``'s or a Hummingbird `HTTPResponseError`'s
    /// own status, 400 for undecodable input, 500 for everything else.
    public static func status(of error: any Error) -> HTTPResponse.Status {
        switch error {
        case let abort as HTTPAbort: abort.status
        case let error as any HTTPResponseError: error.status
        case is DecodingError: .badRequest
        default: .internalServerError
        }
    }

    /// The JSON error response for `error`.
    ///
    /// - Parameter debug: name the error's type and message in a 500's description (Quart's `DEBUG`);
    ///   otherwise a 500 says nothing about its cause.
    public static func defaultResponse(for error: any Error, debug: Bool) -> Response {
        let status = self.status(of: error)
        var headers: HTTPFields = [:]
        let body: ErrorBody
        switch error {
        case let abort as HTTPAbort:
            body = abort.body
            headers = abort.headers
        case let error as HTTPError:
            body = ErrorBody(code: status.code, description: error.body)
            headers = error.headers
        case is DecodingError:
            body = ErrorBody(code: status.code, description: "The request body could not be decoded: \(error)")
        default:
            body = ErrorBody(code: status.code, description: debug ? "\(type(of: error)): \(error)" : nil)
        }
        return self.response(body, status: status, headers: headers)
    }

    /// A response carrying `body` as JSON.
    public static func response(_ body: ErrorBody, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }

    /// The response for `error` from the first scope (blueprint, then app) with a handler for it, else the
    /// default JSON body. A handler that fails itself gives the default 500.
    static func respond(
        to error: any Error,
        scopes: [HookSet],
        request: Request,
        context: ServiceContext
    ) async -> Response {
        for scope in scopes {
            guard let handler = scope.handler(for: error) else { continue }
            do {
                return try await handler(error, request, context)
            } catch let handlerError {
                context.logger.error("error handler failed", metadata: ["error": "\(handlerError)"])
                return self.defaultResponse(for: handlerError, debug: context.config.debug)
            }
        }
        return self.defaultResponse(for: error, debug: context.config.debug)
    }
}
