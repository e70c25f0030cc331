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

    @Test func hostsMatchInEitherCaseAndPathsAsBytes() {
        var config = Self.config()
        config.routes.append(ProxyConfig.Route(name: "upper", host: "Shop.EXAMPLE", pathPrefix: "/", upstream: "a"))
        config.routes.append(ProxyConfig.Route(name: "café", pathPrefix: "/café", upstream: "a"))
        let table = RouteTable(config)
        #expect(table.match(host: "shop.example", path: "/x")?.route.name == "upper")
        #expect(table.match(host: "SHOP.example", path: "/x")?.route.name == "upper")
        #expect(table.match(host: "shop.exampl", path: "/x")?.route.name == "root", "a shorter host is another host")
        #expect(table.match(host: "shop.example.", path: "/x")?.route.name == "root")
        #expect(table.match(host: nil, path: "/café/menu")?.route.name == "café")
        #expect(table.match(host: nil, path: "/CAFÉ/menu")?.route.name == "root", "paths are case-sensitive")
        #expect(table.match(host: nil, path: "/cafe\u{301}/menu")?.route.name == "root", "a decomposed é is other bytes")
        #expect(table.match(host: nil, path: "/api?x=1")?.route.name == "api")
        #expect(table.match(host: nil, path: "/ap")?.route.name == "root")
    }

    @Test func theHostFieldWithoutItsPort() {
        #expect(RouteTable.host(ofField: "example.org") == "example.org")
        #expect(RouteTable.host(ofField: "example.org:8080") == "example.org")
        #expect(RouteTable.host(ofField: "api.example.com:80") == "api.example.com")
        #expect(RouteTable.host(ofField: "[2001:db8::1]:8080") == "2001:db8::1")
        #expect(RouteTable.host(ofField: "[::1]") == "::1")
        #expect(RouteTable.host(ofField: ":8080") == nil)
        #expect(RouteTable.host(ofField: "") == nil)
        #expect(RouteTable.host(ofField: "[]:80") == nil)
        #expect(RouteTable.host(ofField: nil) == nil)
        #expect(RouteTable.host(ofField: "bücher.example:81") == "bücher.example")
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
