import Hummingbird
public import HummingbirdCore
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Quart's request attributes on Hummingbird's `Request`.
extension Request {
    /// The query arguments (Quart's `request.args`), percent-decoded; repeated names keep every value.
    public var args: FlatDictionary<String, String> {
        URLEncodedForm.parse(self.uri.query ?? "")
    }

    /// The parsed `Authorization` header, or `nil`.
    public var authorization: Authorization? {
        self.headers[.authorization].flatMap(Authorization.init(header:))
    }

    /// The request body, up to `MAX_CONTENT_LENGTH`; longer bodies end the request with 413.
    public func bytes(context: ServiceContext) async throws -> ByteBuffer {
        try await self.body.collect(upTo: context.maxUploadSize)
    }

    /// The body parsed as JSON (Quart's `await request.get_json()`); malformed JSON ends the request with a
    /// JSON 400 that says where the JSON broke.
    public func json(context: ServiceContext) async throws -> JSONValue {
        let body = try await self.bytes(context: context)
        do {
            return try JSONValue(parsing: body.readableBytesView)
        } catch {
            throw HTTPAbort(.badRequest, "Failed to decode JSON object: \(Self.describe(error))")
        }
    }

    /// The body decoded as `type` from JSON; malformed or mismatched JSON ends the request with a JSON 400.
    public func json<Value: Decodable>(as type: Value.Type, context: ServiceContext) async throws -> Value {
        let body = try await self.bytes(context: context)
        do {
            return try JSONDecoder().decode(Value.self, from: Data(body.readableBytesView))
        } catch {
            throw HTTPAbort(.badRequest, "Failed to decode JSON object: \(Self.describe(error))")
        }
    }

    /// An `application/x-www-form-urlencoded` body (Quart's `await request.form`).
    public func form(context: ServiceContext) async throws -> FlatDictionary<String, String> {
        let contentType = self.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw HTTPAbort(.unsupportedMediaType, "The form must be sent as application/x-www-form-urlencoded.")
        }
        let body = try await self.bytes(context: context)
        return URLEncodedForm.parse(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    /// The client and the proxies the request passed, from `X-Forwarded-For`, client first; just the peer's
    /// address when there is no such header (Werkzeug's `access_route`).
    ///
    /// The header is whatever the client or proxies sent: trust it only behind a proxy that rewrites it.
    public func accessRoute(context: ServiceContext) -> [String] {
        let forwarded = self.headers
            .filter { $0.name.canonicalName == "x-forwarded-for" }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if !forwarded.isEmpty { return forwarded }
        return context.remoteAddr.map { [$0] } ?? []
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            context.underlyingError.map { "\($0)" } ?? context.debugDescription
        case DecodingError.keyNotFound(let key, _): "missing key \"\(key.stringValue)\""
        case DecodingError.typeMismatch(let type, let context):
            "expected \(type) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }
}
