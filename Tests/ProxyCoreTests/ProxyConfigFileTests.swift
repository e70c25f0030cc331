import ProxyCore
import RuleFile
import Testing

@Suite struct ProxyConfigFileTests {
    static let valid = """
        listen: 0.0.0.0:8080
        admin: {listen: 127.0.0.1:9901}
        upstreams:
          api:
            servers: [127.0.0.1:5001, "[::1]:5002"]
            pool_size: 8
            connect_timeout: 500ms
            response_timeout: 1m
        routes:
          - {name: api, host: API.example.com, path_prefix: /api, upstream: api, strip_prefix: true}
        rules: /etc/rampart/rules
        forwarding: {trusted_proxies: [10.0.0.0/8], forwarded_header: true}
        limits: {max_inspected_body: 65536, oversized_body: inspect_prefix, header_timeout: 5s, max_connections: 100}
        rate_limit_headers: on_reject
        """

    @Test func readsEveryField() throws {
        let config = try ProxyConfigFile.parse(Self.valid, file: "rampart.yaml")
        #expect(config.listen == ProxyConfig.Address(host: "0.0.0.0", port: 8080))
        #expect(config.upstreams.first?.servers.last == ProxyConfig.Address(host: "::1", port: 5002))
        #expect(config.upstreams.first?.poolSize == 8)
        #expect(config.upstreams.first?.connectTimeout == 0.5)
        #expect(config.upstreams.first?.responseTimeout == 60)
        #expect(config.routes.first?.host == "api.example.com")
        #expect(config.routes.first?.stripPrefix == true)
        #expect(config.firewallDirectory == "/etc/rampart/rules/firewall")
        #expect(config.trustedProxies.map(\.description) == ["10.0.0.0/8"])
        #expect(config.forwardedHeader)
        #expect(config.oversizedBody == .inspectPrefix)
        #expect(config.headerTimeout == 5)
        #expect(config.maxConnections == 100)
        #expect(!config.rateLimitHeadersOnSuccess)
    }

    @Test func environmentOverridesListeners() throws {
        let config = try ProxyConfigFile.parse(Self.valid, file: "rampart.yaml", environment: ["RAMPART_LISTEN": "127.0.0.1:18080", "RAMPART_ADMIN_LISTEN": "[::1]:19901"])
        #expect(config.listen.port == 18080)
        #expect(config.adminListen == ProxyConfig.Address(host: "::1", port: 19901))
        #expect(throws: RuleFileError.self) { try ProxyConfigFile.parse(Self.valid, file: "r.yaml", environment: ["RAMPART_LISTEN": "nonsense"]) }
    }

    @Test func readsTheRateLimitStore() throws {
        let config = try ProxyConfigFile.parse("rate_limit_store: {redis: 127.0.0.1:6379, timeout: 250ms}\n", file: "rampart.yaml")
        #expect(config.rateLimitStore == .redis(ProxyConfig.Address(host: "127.0.0.1", port: 6379), timeout: 0.25))
        #expect(try ProxyConfigFile.parse("listen: 127.0.0.1:8080\n", file: "rampart.yaml").rateLimitStore == .local)
    }

    @Test func readsTheAccessLogAndReloadSettings() throws {
        let config = try ProxyConfigFile.parse(
            "access_log: {path: /var/log/rampart/access.log, sample_allowed: 0.25}\nreload: {watch: false, poll_interval: 2s}\n", file: "rampart.yaml"
        )
        #expect(config.accessLog?.path == "/var/log/rampart/access.log")
        #expect(config.accessLog?.sampleAllowed == 0.25)
        #expect(config.watchRules == false)
        #expect(config.rulesPollInterval == 2)
        let defaults = try ProxyConfigFile.parse("listen: 127.0.0.1:8080\n", file: "rampart.yaml")
        #expect(defaults.accessLog == nil)
        #expect(defaults.watchRules)
    }

    @Test(arguments: [
        ("listen: 127.0.0.1:8080\nlisten_port: 9\n", 2, "unknown field \"listen_port\""),
        ("upstreams:\n  a: {servers: [localhost]}\n", 2, "host:port"),
        ("upstreams:\n  a: {servers: [127.0.0.1:1]}\nroutes:\n  - {path_prefix: /, upstream: b}\n", 4, "no upstream named \"b\""),
        ("limits:\n  header_timeout: soon\n", 2, "positive duration"),
        ("forwarding:\n  trusted_proxies: [10.0.0.0/40]\n", 2, "prefix length"),
        ("limits: {oversized_body: drop}\n", 1, "oversized_body must be one of"),
        ("access_log: {sample_allowed: 0.5}\n", 1, "access_log needs a path"),
        ("access_log:\n  path: stdout\n  sample_allowed: 2\n", 3, "share between 0 and 1"),
        ("reload: {watch: yes, poll_every: 1s}\n", 1, "unknown field \"poll_every\""),
        ("rate_limit_store: {timeout: 1s}\n", 1, "needs redis: host:port"),
        ("rate_limit_store:\n  redis: localhost\n", 2, "host:port"),
    ] as [(String, Int, String)])
    func rejectsWithPosition(yaml: String, line: Int, message: String) throws {
        let error = try #require(throws: RuleFileError.self) { try ProxyConfigFile.parse(yaml, file: "rampart.yaml") }
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error)")
    }
}
