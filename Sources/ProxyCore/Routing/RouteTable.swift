/// Finds the route for a request: routes for its Host beat host-less ones, and the longest matching path
/// prefix wins. Built once per config; lookups allocate nothing.
public struct RouteTable: Sendable {
    /// A route with its upstream resolved to an index.
    public struct Entry: Sendable {
        /// The route as configured.
        public let route: ProxyConfig.Route
        /// Index into the config's upstreams.
        public let upstream: Int
    }

    private let entries: [Entry]

    /// The table for `config`'s routes.
    public init(_ config: ProxyConfig) {
        let entries = config.routes.compactMap { route in
            config.upstreams.firstIndex { $0.name == route.upstream }.map { Entry(route: route, upstream: $0) }
        }
        // Most specific first: a host beats none, then longer prefixes.
        self.entries = entries.sorted { left, right in
            if (left.route.host != nil) != (right.route.host != nil) { return left.route.host != nil }
            return left.route.pathPrefix.utf8.count > right.route.pathPrefix.utf8.count
        }
    }

    /// The route for `host` (without port, any case) and `path`; nil when none matches.
    public func match(host: String?, path: Substring) -> Entry? {
        let host = host?.lowercased()
        return self.entries.first { entry in
            (entry.route.host == nil || entry.route.host == host) && Self.hasPathPrefix(path, entry.route.pathPrefix)
        }
    }

    /// The path to send upstream: with the prefix removed when the route strips it (never empty).
    public static func forwardedURI(_ uri: String, route: ProxyConfig.Route) -> String {
        guard route.stripPrefix, route.pathPrefix != "/", uri.hasPrefix(route.pathPrefix) else { return uri }
        let rest = uri.dropFirst(route.pathPrefix.count)
        if rest.isEmpty { return "/" }
        if rest.hasPrefix("/") { return String(rest) }
        return "/" + rest
    }

    /// `/api` matches `/api`, `/api/x` and `/api?x`, not `/apiary`; a prefix ending in `/` matches what starts with it.
    static func hasPathPrefix(_ path: Substring, _ prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.utf8.count == prefix.utf8.count { return true }
        let next = path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: prefix.utf8.count)]
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?")
    }
}
