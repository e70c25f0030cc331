/// Finds the route for a request: routes for its Host beat host-less ones, and the longest matching path
/// prefix wins. Built once per config; lookups allocate nothing.
public struct RouteTable: Sendable {
    /// A route with its upstream resolved to an index.
    ///
    /// A class: a request carries its route from the head to the response, and each copy of a struct retained
    /// and released the route's four strings (a dozen times a request).
    public final class Entry: Sendable {
        /// The route as configured.
        public let route: ProxyConfig.Route
        /// Index into the config's upstreams.
        public let upstream: Int

        init(route: ProxyConfig.Route, upstream: Int) {
            self.route = route
            self.upstream = upstream
        }
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
        self.entries.first { entry in
            if let routeHost = entry.route.host {
                guard let host, Self.equalsIgnoringASCIICase(host, routeHost) else { return false }
            }
            return Self.hasPathPrefix(path, entry.route.pathPrefix)
        }
    }

    /// The host a Host field names, without its port and an IPv6 address's brackets; nil when it names none.
    public static func host(ofField field: String?) -> String? {
        guard let field else { return nil }
        let end = field.withUTF8Bytes { bytes -> Int in
            if bytes.first == UInt8(ascii: "["), let bracket = bytes.firstIndex(of: UInt8(ascii: "]")) { return bracket }
            return bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
        }
        let utf8 = field.utf8
        let start = utf8.first == UInt8(ascii: "[") && end < utf8.count ? 1 : 0
        guard end > start else { return nil }
        return String(field[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
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
    /// Paths are compared as bytes, as they arrived.
    static func hasPathPrefix(_ path: Substring, _ prefix: String) -> Bool {
        path.withUTF8Bytes { path in
            prefix.withUTF8Bytes { prefix in
                guard path.count >= prefix.count, path.prefix(prefix.count).elementsEqual(prefix) else { return false }
                if prefix.last == UInt8(ascii: "/") || path.count == prefix.count { return true }
                return path[prefix.count] == UInt8(ascii: "/") || path[prefix.count] == UInt8(ascii: "?")
            }
        }
    }

    /// Whether two host names are the same, ASCII letters in either case (RFC 9110: hosts are case-insensitive).
    static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.withUTF8Bytes { a in
            b.withUTF8Bytes { b in
                a.count == b.count && a.elementsEqual(b) { HTTP1Syntax.lowercased($0) == HTTP1Syntax.lowercased($1) }
            }
        }
    }
}
