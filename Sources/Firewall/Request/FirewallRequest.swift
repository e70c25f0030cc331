/// What the firewall inspects: a request as it arrived, independent of any HTTP library.
public struct FirewallRequest: Sendable {
    /// The method as sent.
    public var method: String
    /// The request target as sent (`/search?q=1`), undecoded.
    public var uri: String
    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body, or its inspected prefix; empty in the headers phase.
    public var body: [UInt8]
    /// The resolved client address.
    public var clientAddress: String

    /// A request.
    public init(method: String, uri: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], clientAddress: String = "") {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }

    /// The path part of ``uri``.
    public var path: Substring {
        let target = Substring(self.uri)
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target
    }

    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name.utf8.count == name.utf8.count && $0.name.lowercased() == name.lowercased() }?.value
    }
}
