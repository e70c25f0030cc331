import NetworkAddress
import RuleFile
import Yams

/// Reads `rampart.yaml` (docs/config.md) into a ``ProxyConfig``: unknown keys and bad values fail with
/// file:line:column, and `RAMPART_LISTEN` / `RAMPART_ADMIN_LISTEN` override the listener addresses.
public enum ProxyConfigFile {
    /// Loads and validates the file at `path`, then applies `environment` overrides.
    public static func load(path: String, environment: [String: String] = [:]) throws(RuleFileError) -> ProxyConfig {
        let (yaml, root) = try YAMLReader.load(path: path)
        var config = try self.read(root, yaml)
        try self.applyEnvironment(environment, to: &config, file: path)
        try self.validate(config, file: path)
        return config
    }

    /// Parses YAML `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws(RuleFileError) -> ProxyConfig {
        let yaml = YAMLReader(file: file)
        var config = try self.read(try yaml.compose(text), yaml)
        try self.applyEnvironment(environment, to: &config, file: file)
        try self.validate(config, file: file)
        return config
    }

    static func applyEnvironment(_ environment: [String: String], to config: inout ProxyConfig, file: String) throws(RuleFileError) {
        for (variable, keyPath) in [("RAMPART_LISTEN", \ProxyConfig.listen), ("RAMPART_ADMIN_LISTEN", \ProxyConfig.adminListen)] {
            guard let value = environment[variable] else { continue }
            guard let address = ProxyConfig.Address(parsing: value) else {
                throw RuleFileError(file: "$\(variable)", line: 0, column: 0, message: "\"\(value)\" is not host:port")
            }
            config[keyPath: keyPath] = address
        }
        if let token = environment["RAMPART_ADMIN_TOKEN"], !token.isEmpty { config.adminToken = token }
    }

    /// Checks what only the final config (file and environment together) can tell.
    static func validate(_ config: ProxyConfig, file: String) throws(RuleFileError) {
        if let problem = config.adminTokenProblem { throw RuleFileError(file: file, line: 0, column: 0, message: problem) }
    }

    private static func read(_ root: Node?, _ yaml: YAMLReader) throws(RuleFileError) -> ProxyConfig {
        var config = ProxyConfig()
        guard let root else { return config }
        let top = try yaml.mapping(root, allowed: ["listen", "admin", "upstreams", "routes", "rules", "reload", "forwarding", "limits", "rate_limit_headers", "rate_limit_store", "access_log"], what: "the config")
        if let node = top["listen"] { config.listen = try self.address(node, "listen", yaml) }
        if let node = top["admin"] {
            let fields = try yaml.mapping(node, allowed: ["listen", "token"], what: "admin")
            if let listen = fields["listen"] { config.adminListen = try self.address(listen, "admin.listen", yaml) }
            if let token = fields["token"] { config.adminToken = try yaml.string(token, "admin.token") }
        }
        if let node = top["rules"] { config.rulesDirectory = try yaml.string(node, "rules") }
        if let node = top["reload"] {
            let fields = try yaml.mapping(node, allowed: ["watch", "poll_interval"], what: "reload")
            if let value = fields["watch"] { config.watchRules = try yaml.bool(value, "reload.watch") }
            if let value = fields["poll_interval"] { config.rulesPollInterval = try self.seconds(value, "reload.poll_interval", yaml) }
        }
        if let node = top["rate_limit_store"] {
            let fields = try yaml.mapping(node, allowed: ["redis", "timeout"], what: "rate_limit_store")
            guard let server = fields["redis"] else { throw yaml.error(node, "rate_limit_store needs redis: host:port (without it, buckets stay in this process)") }
            let timeout = try fields["timeout"].map { (node) throws(RuleFileError) in try self.seconds(node, "rate_limit_store.timeout", yaml) } ?? 0.1
            config.rateLimitStore = .redis(try self.address(server, "rate_limit_store.redis", yaml), timeout: timeout)
        }
        if let node = top["access_log"] {
            let fields = try yaml.mapping(node, allowed: ["path", "sample_allowed"], what: "access_log")
            guard let pathNode = fields["path"] else { throw yaml.error(node, "access_log needs a path: stdout or a file") }
            var log = ProxyConfig.AccessLog(path: try yaml.string(pathNode, "access_log.path"))
            if let value = fields["sample_allowed"] {
                guard let share = Double(try yaml.string(value, "access_log.sample_allowed")), (0...1).contains(share) else {
                    throw yaml.error(value, "access_log.sample_allowed is a share between 0 and 1, e.g. 0.1 to log one allowed request in ten")
                }
                log.sampleAllowed = share
            }
            config.accessLog = log
        }
        if let node = top["rate_limit_headers"] {
            let value = try yaml.string(node, "rate_limit_headers")
            guard ["always", "on_reject"].contains(value) else { throw yaml.error(node, "rate_limit_headers must be always or on_reject") }
            config.rateLimitHeadersOnSuccess = value == "always"
        }
        if let node = top["upstreams"] {
            guard let mapping = node.mapping else { throw yaml.error(node, "upstreams must map names to {servers: [host:port, ...]}") }
            for (key, value) in mapping {
                let name = try yaml.string(key, "an upstream name")
                config.upstreams.append(try self.upstream(name, value, yaml))
            }
        }
        if let node = top["routes"] {
            for (index, item) in try yaml.list(node, "routes").enumerated() {
                let fields = try yaml.mapping(item, allowed: ["name", "host", "path_prefix", "upstream", "strip_prefix"], what: "a route")
                guard let upstreamNode = fields["upstream"] else { throw yaml.error(item, "a route needs an upstream") }
                let upstream = try yaml.string(upstreamNode, "upstream")
                guard config.upstreams.contains(where: { $0.name == upstream }) else {
                    throw yaml.error(upstreamNode, "no upstream named \"\(upstream)\"; define it under upstreams")
                }
                let prefix = try fields["path_prefix"].map { (node) throws(RuleFileError) in try yaml.string(node, "path_prefix") } ?? "/"
                guard prefix.hasPrefix("/") else { throw yaml.error(fields["path_prefix"] ?? item, "path_prefix starts with /") }
                config.routes.append(
                    ProxyConfig.Route(
                        name: try fields["name"].map { (node) throws(RuleFileError) in try yaml.string(node, "name") } ?? "route\(index)",
                        host: try fields["host"].map { (node) throws(RuleFileError) in try yaml.string(node, "host").lowercased() },
                        pathPrefix: prefix,
                        upstream: upstream,
                        stripPrefix: try fields["strip_prefix"].map { (node) throws(RuleFileError) in try yaml.bool(node, "strip_prefix") } ?? false
                    )
                )
            }
        }
        if let node = top["forwarding"] {
            let fields = try yaml.mapping(node, allowed: ["trusted_proxies", "forwarded_header"], what: "forwarding")
            if let list = fields["trusted_proxies"] {
                for item in try yaml.list(list, "trusted_proxies") {
                    do {
                        config.trustedProxies.append(try CIDRBlock(parsing: try yaml.string(item, "a trusted proxy")))
                    } catch let error as CIDRBlockError {
                        throw yaml.error(item, error.description)
                    } catch {
                        throw yaml.error(item, "\(error)")
                    }
                }
            }
            if let value = fields["forwarded_header"] { config.forwardedHeader = try yaml.bool(value, "forwarded_header") }
        }
        if let node = top["limits"] {
            let fields = try yaml.mapping(
                node,
                allowed: ["max_header_bytes", "max_inspected_body", "oversized_body", "header_timeout", "idle_timeout", "max_connections"],
                what: "limits"
            )
            if let value = fields["max_header_bytes"] { config.maxHeaderBytes = try yaml.int(value, "max_header_bytes", minimum: 1024) }
            if let value = fields["max_inspected_body"] { config.maxInspectedBody = try yaml.int(value, "max_inspected_body", minimum: 0) }
            config.oversizedBody = try yaml.choice(fields["oversized_body"], "oversized_body", default: .reject, ProxyConfig.OversizedBody.allCases)
            if let value = fields["header_timeout"] { config.headerTimeout = try self.seconds(value, "header_timeout", yaml) }
            if let value = fields["idle_timeout"] { config.idleTimeout = try self.seconds(value, "idle_timeout", yaml) }
            if let value = fields["max_connections"] { config.maxConnections = try yaml.int(value, "max_connections", minimum: 1) }
        }
        return config
    }

    private static func upstream(_ name: String, _ node: Node, _ yaml: YAMLReader) throws(RuleFileError) -> ProxyConfig.Upstream {
        let fields = try yaml.mapping(
            node, allowed: ["servers", "pool_size", "connect_timeout", "response_timeout", "idle_timeout", "failure_backoff"], what: "upstream \(name)"
        )
        guard let serversNode = fields["servers"] else { throw yaml.error(node, "upstream \(name) needs servers: [host:port, ...]") }
        var servers: [ProxyConfig.Address] = []
        for item in try yaml.list(serversNode, "servers", allowScalar: true) {
            guard let address = ProxyConfig.Address(parsing: try yaml.string(item, "a server")) else {
                throw yaml.error(item, "a server is host:port, e.g. 127.0.0.1:5001")
            }
            servers.append(address)
        }
        guard !servers.isEmpty else { throw yaml.error(serversNode, "upstream \(name) needs at least one server") }
        var upstream = ProxyConfig.Upstream(name: name, servers: servers)
        if let value = fields["pool_size"] { upstream.poolSize = try yaml.int(value, "pool_size", minimum: 0) }
        if let value = fields["connect_timeout"] { upstream.connectTimeout = try self.seconds(value, "connect_timeout", yaml) }
        if let value = fields["response_timeout"] { upstream.responseTimeout = try self.seconds(value, "response_timeout", yaml) }
        if let value = fields["idle_timeout"] { upstream.idleTimeout = try self.seconds(value, "idle_timeout", yaml) }
        if let value = fields["failure_backoff"] { upstream.failureBackoff = try self.seconds(value, "failure_backoff", yaml) }
        return upstream
    }

    /// Seconds as a number (`2`, `0.5`) or with a unit (`500ms`, `2s`, `1m`).
    private static func seconds(_ node: Node, _ field: String, _ yaml: YAMLReader) throws(RuleFileError) -> Double {
        let text = try yaml.string(node, field)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return value * scale }
        }
        if let value = Double(text), value > 0 { return value }
        throw yaml.error(node, "\(field) must be a positive duration such as 2, 500ms, 2s or 1m")
    }

    private static func address(_ node: Node, _ field: String, _ yaml: YAMLReader) throws(RuleFileError) -> ProxyConfig.Address {
        guard let address = ProxyConfig.Address(parsing: try yaml.string(node, field)) else {
            throw yaml.error(node, "\(field) is host:port, e.g. 127.0.0.1:8080")
        }
        return address
    }
}
