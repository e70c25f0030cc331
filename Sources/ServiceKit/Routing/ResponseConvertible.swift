public import HTTPTypes
public import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A value a handler can return: ServiceKit turns it into the HTTP response.
///
/// Conforming types: `String` (text/html, as Quart), `Response`, `HTTPResponse.Status` (empty body),
/// `ByteBuffer` (application/octet-stream), ``Reply`` (a value with a status and headers, Quart's
/// `return body, 201`), and ``JSON``. Handlers may also return any `Encodable`, sent as JSON.
public protocol ResponseConvertible: Sendable {
    /// The response for this value.
    func makeResponse(in context: ServiceContext) throws -> Response
}

extension String: ResponseConvertible {
    public func makeResponse(in context: ServiceContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: self))
        )
    }
}

extension Response: ResponseConvertible {
    public func makeResponse(in context: ServiceContext) throws -> Response { self }
}

extension HTTPResponse.Status: ResponseConvertible {
    public func makeResponse(in context: ServiceContext) throws -> Response { Response(status: self) }
}

extension ByteBuffer: ResponseConvertible {
    public func makeResponse(in context: ServiceContext) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: self))
    }
}

/// An `Encodable` value sent as JSON, with keys sorted when `JSON_SORT_KEYS` is on (the default).
public struct JSON<Value: Encodable & Sendable>: ResponseConvertible {
    /// The value.
    public let value: Value

    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }

    public func makeResponse(in context: ServiceContext) throws -> Response {
        let runtime = context.runtime ?? AppRuntime.detached
        let body: ByteBuffer
        if runtime.usesJSONWriter, let value = self.value as? any JSONRepresentable {
            var writer = JSONWriter(sortKeys: runtime.sortsJSONKeys)
            value.writeJSON(to: &writer)
            body = ByteBuffer(bytes: writer.bytes)
        } else {
            body = ByteBuffer(bytes: try runtime.jsonEncoder.encode(self.value))
        }
        return Response(status: .ok, headers: [.contentType: runtime.jsonMimetype], body: .init(byteBuffer: body))
    }
}

/// A response body with a status and headers: Quart's `return {"id": 7}, 201, {"Location": "/teams/7"}`.
///
/// ```swift
/// return Reply(["id": 7], status: .created, headers: [.location: "/teams/7"])
/// ```
public struct Reply: ResponseConvertible {
    private let body: any ResponseConvertible
    /// The status to answer with.
    public var status: HTTPResponse.Status
    /// Headers added to (or replacing) the body's own.
    public var headers: HTTPFields

    /// A body that converts itself (`String`, `Response`, ...).
    public init(_ body: some ResponseConvertible, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.body = body
        self.status = status
        self.headers = headers
    }

    /// An `Encodable` body, sent as JSON.
    @_disfavoredOverload
    public init(_ body: some Encodable & Sendable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.init(JSON(body), status: status, headers: headers)
    }

    public func makeResponse(in context: ServiceContext) throws -> Response {
        var response = try self.body.makeResponse(in: context)
        response.status = self.status
        for field in self.headers { response.headers[fields: field.name] = [] }
        response.headers.append(contentsOf: self.headers)
        return response
    }
}
