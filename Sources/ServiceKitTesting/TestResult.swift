public import HTTPTypes
public import NIOCore
public import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A response as a test sees it: status, headers and the whole body.
public struct TestResult: Sendable {
    /// The status.
    public let status: HTTPResponse.Status
    /// The headers.
    public let headers: HTTPFields
    /// The body.
    public let body: ByteBuffer

    /// The body as UTF-8 text.
    public var text: String { String(buffer: self.body) }

    /// The body parsed as JSON.
    public func json() throws -> JSONValue { try JSONValue(parsing: self.body.readableBytesView) }

    /// The body decoded from JSON as `type`.
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(self.body.readableBytesView))
    }

    /// The values of header `name`.
    public func header(_ name: String) -> [String] {
        self.headers.filter { $0.name.canonicalName == name.lowercased() }.map(\.value)
    }
}
