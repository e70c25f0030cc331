import ProxyCore
import Testing

@Suite struct RouteTableTests {
    static func config() -> ProxyConfig {
        var config = ProxyConfig()
        config.upstreams = [
            ProxyConfig.Upstream(name: "a", servers: [ProxyConfig.Address(host: "127.0.0.1", port: 1)]),
            ProxyConfig.Upstream(name: "b", servers: [ProxyConfig.Address(host: "127.0.0.1", port: 2)]),
        ]
        config.routes = [
            ProxyConfig.Route(name: "root", pathPrefix: "/", upstream: "a"),
            ProxyConfig.Route(name: "api", pathPrefix: "/api", upstream: "b", stripPrefix: true),
            ProxyConfig.Route(name: "api-v2", pathPrefix: "/api/v2/", upstream: "a"),
            ProxyConfig.Route(name: "host", host: "example.org", pathPrefix: "/", upstream: "b"),
        ]
        return config
    }

    @Test func mostSpecificRouteWins() {
        let table = RouteTable(Self.config())
        #expect(table.match(host: "shop.test", path: "/")?.route.name == "root")
        #expect(table.match(host: "shop.test", path: "/api")?.route.name == "api")
        #expect(table.match(host: "shop.test", path: "/api/x")?.route.name == "api")
        #expect(table.match(host: "shop.test", path: "/apiary")?.route.name == "root", "a prefix matches whole segments")
        #expect(table.match(host: "shop.test", path: "/api/v2/users")?.route.name == "api-v2")
        #expect(table.match(host: "EXAMPLE.org", path: "/api")?.route.name == "host", "a host route beats any path route")
        #expect(table.match(host: nil, path: "/x")?.route.name == "root")
    }

    @Test func noMatchWithoutACatchAll() {
        var config = Self.config()
        config.routes.removeAll { $0.pathPrefix == "/" && $0.host == nil }
        #expect(RouteTable(config).match(host: "a", path: "/other") == nil)
    }

    @Test func stripsThePrefix() {
        let route = ProxyConfig.Route(name: "api", pathPrefix: "/api", upstream: "b", stripPrefix: true)
        #expect(RouteTable.forwardedURI("/api/v1/items?x=1", route: route) == "/v1/items?x=1")
        #expect(RouteTable.forwardedURI("/api", route: route) == "/")
        #expect(RouteTable.forwardedURI("/api?x=1", route: route) == "/?x=1")
        let keep = ProxyConfig.Route(name: "k", pathPrefix: "/api", upstream: "b")
        #expect(RouteTable.forwardedURI("/api/v1", route: keep) == "/api/v1")
    }
}
