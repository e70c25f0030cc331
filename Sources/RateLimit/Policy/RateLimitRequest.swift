/// What the rate limiter needs to know about a request: no sockets, no HTTP library types.
public struct RateLimitRequest: Sendable {
    /// The method, upper case.
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The Host, without the port.
    public var host: String?
    /// The resolved client address (after trusted-proxy handling).
    public var clientAddress: String
    /// Header fields as (name, value), names as sent.
    public var headers: [(name: String, value: String)]
    /// Cookies by name.
    public var cookies: [String: String]
    /// The route's name, when the proxy matched one.
    public var route: String?

    /// Creates a request description.
    public init(
        method: String,
        path: String,
        host: String? = nil,
        clientAddress: String,
        headers: [(name: String, value: String)] = [],
        cookies: [String: String] = [:],
        route: String? = nil
    ) {
        // Methods arrive upper case; only a rare lower-case one pays for a new string.
        self.method = method.utf8.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ? method.uppercased() : method
        self.path = path
        self.host = host
        self.clientAddress = clientAddress
        self.headers = headers
        self.cookies = cookies
        self.route = route
    }

    /// The first value of header `name`.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return self.headers.first { $0.name.utf8.count == lowered.utf8.count && $0.name.lowercased() == lowered }?.value
    }
}
