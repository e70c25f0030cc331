public import HTTPTypes

/// An error that ends the request with an HTTP error status, as Quart's `abort(404)`.
///
/// ```swift
/// guard let team = teams[id] else { throw HTTPAbort(.notFound, "No team \(id).") }
/// ```
/// The response is the JSON ``ErrorBody`` for the status, unless an error handler answers otherwise.
public struct HTTPAbort: Error, Sendable {
    /// The response status.
    public var status: HTTPResponse.Status
    /// The description in the body; Werkzeug's standard one when `nil`.
    public var description: String?
    /// Headers to add to the error response (`Allow`, `Retry-After`, `WWW-Authenticate`, ...).
    public var headers: HTTPFields
    /// Extra members for the JSON body.
    public var extra: [String: JSONValue]

    /// Creates an abort with `status`.
    public init(
        _ status: HTTPResponse.Status,
        _ description: String? = nil,
        headers: HTTPFields = [:],
        extra: [String: JSONValue] = [:]
    ) {
        self.status = status
        self.description = description
        self.headers = headers
        self.extra = extra
    }

    /// The JSON body this abort answers with.
    public var body: ErrorBody {
        ErrorBody(code: self.status.code, description: self.description, extra: self.extra)
    }
}

/// Ends the request with `code`, as Quart's `abort(code, description)`.
public func abort(_ code: Int, _ description: String? = nil) throws -> Never {
    throw HTTPAbort(HTTPResponse.Status(code: code), description)
}
