import RuleFile
import Yams

/// Reads rate-limit policies from YAML (`rules/ratelimits.yaml`), rejecting anything it does not understand
/// with the file, line and column, so a broken edit is refused instead of half-applied.
///
/// ```yaml
/// policies:
///   - name: per-client
///     match: {path_prefix: /api/, methods: [GET, POST]}
///     key: [{client_address: {ipv4_prefix: 24, ipv6_prefix: 64}}]
///     rate: 100/s
///     burst: 200
///   - name: uploads-in-flight
///     match: {path_prefix: /upload}
///     concurrency: 4
/// ```
/// See docs/ratelimits.md for every field.
public enum PolicyFile {
    /// Reads and validates the policies in the file at `path`.
    public static func load(path: String) throws(PolicyFileError) -> [RateLimitPolicy] {
        let (reader, root) = try YAMLReader.load(path: path)
        return try self.read(root, reader)
    }

    /// Reads and validates policies from YAML `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(PolicyFileError) -> [RateLimitPolicy] {
        let reader = YAMLReader(file: file)
        return try self.read(try reader.compose(text), reader)
    }

    private static func read(_ root: Node?, _ yaml: YAMLReader) throws(PolicyFileError) -> [RateLimitPolicy] {
        guard let root else { return [] }
        let reader = Reader(yaml: yaml)
        let top = try yaml.mapping(root, allowed: ["policies"], what: "the file")
        guard let list = top["policies"] else { return [] }
        guard let items = list.sequence else { throw yaml.error(list, "policies must be a list") }
        var policies: [RateLimitPolicy] = []
        var seen: [String: Int] = [:]
        for item in items {
            let policy = try reader.policy(item)
            if let line = seen[policy.name] {
                throw yaml.error(item, "duplicate policy name \"\(policy.name)\" (first defined on line \(line)); names must be unique")
            }
            seen[policy.name] = (item.mark?.line ?? 0)
            policies.append(policy)
        }
        return policies
    }

    /// The policy-specific readings, on top of the shared ``YAMLReader``.
    private struct Reader {
        let yaml: YAMLReader

        func policy(_ node: Node) throws(PolicyFileError) -> RateLimitPolicy {
            let fields = try self.yaml.mapping(node, allowed: [
                "name", "match", "key", "rate", "burst", "cost", "concurrency", "mode", "missing", "on_store_error",
            ], what: "a policy")
            guard let nameNode = fields["name"] else { throw self.yaml.error(node, "a policy needs a name") }
            let name = try self.yaml.string(nameNode, "name")

            let limit: RateLimitPolicy.Limit
            switch (fields["rate"], fields["concurrency"]) {
            case (let rateNode?, nil):
                let rateText = try self.yaml.string(rateNode, "rate")
                let rate: Rate
                do {
                    rate = try Rate(parsing: rateText)
                } catch {
                    throw self.yaml.error(rateNode, error.description)
                }
                let burst = try fields["burst"].map { (node) throws(PolicyFileError) in try self.yaml.int(node, "burst", minimum: 1) } ?? rate.count
                let cost = try fields["cost"].map { (node) throws(PolicyFileError) in try self.yaml.int(node, "cost", minimum: 1) } ?? 1
                guard cost <= burst else {
                    throw self.yaml.error(fields["cost"] ?? node, "cost \(cost) is more than burst \(burst): no request could ever pass")
                }
                limit = .tokenBucket(rate: rate, burst: burst, cost: cost)
            case (nil, let concurrencyNode?):
                if let extra = fields["burst"] ?? fields["cost"] { throw self.yaml.error(extra, "burst and cost apply to rate policies, not concurrency") }
                limit = .concurrency(limit: try self.yaml.int(concurrencyNode, "concurrency", minimum: 1))
            case (nil, nil):
                throw self.yaml.error(node, "policy \"\(name)\" needs either rate (e.g. 100/s) or concurrency (requests in flight)")
            case (_?, let second?):
                throw self.yaml.error(second, "policy \"\(name)\" has both rate and concurrency; split it into two policies")
            }

            return RateLimitPolicy(
                name: name,
                match: try fields["match"].map { (node) throws(PolicyFileError) in try self.match(node) } ?? RequestMatch(),
                key: try fields["key"].map { (node) throws(PolicyFileError) in try self.key(node) } ?? [.clientAddress()],
                limit: limit,
                mode: try self.yaml.choice(fields["mode"], "mode", default: .enforce, [.enforce, .shadow]),
                missing: try self.yaml.choice(fields["missing"], "missing", default: .skip, [.skip, .clientAddress]),
                onStoreError: try self.yaml.choice(fields["on_store_error"], "on_store_error", default: .allow, [.allow, .reject])
            )
        }

        func match(_ node: Node) throws(PolicyFileError) -> RequestMatch {
            let fields = try self.yaml.mapping(node, allowed: ["path_prefix", "path", "methods", "host"], what: "match")
            var methods: Set<String> = []
            if let list = fields["methods"] {
                guard let items = list.sequence else { throw self.yaml.error(list, "methods must be a list, e.g. [GET, POST]") }
                for item in items {
                    let method = try self.yaml.string(item, "a method")
                    guard method.allSatisfy({ $0.isLetter }) else { throw self.yaml.error(item, "\"\(method)\" is not an HTTP method") }
                    methods.insert(method.uppercased())
                }
            }
            let prefix = try fields["path_prefix"].map { (node) throws(PolicyFileError) in try self.yaml.string(node, "path_prefix") }
            let path = try fields["path"].map { (node) throws(PolicyFileError) in try self.yaml.string(node, "path") }
            for (value, node) in [(prefix, fields["path_prefix"]), (path, fields["path"])] {
                if let value, let node, !value.hasPrefix("/") { throw self.yaml.error(node, "paths start with /") }
            }
            return RequestMatch(
                pathPrefix: prefix, path: path, methods: methods,
                host: try fields["host"].map { (node) throws(PolicyFileError) in try self.yaml.string(node, "host") }
            )
        }

        func key(_ node: Node) throws(PolicyFileError) -> [KeyPart] {
            guard let items = node.sequence, items.count > 0 else {
                throw self.yaml.error(node, "key must be a non-empty list, e.g. [client_address] or [{header: X-API-Key}]")
            }
            var parts: [KeyPart] = []
            for item in items {
                if let word = item.scalar?.string {
                    switch word {
                    case "client_address": parts.append(.clientAddress())
                    case "route": parts.append(.route)
                    default: throw self.yaml.error(item, "unknown key \"\(word)\"; use client_address, route, {header: NAME} or {cookie: NAME}")
                    }
                    continue
                }
                let fields = try self.yaml.mapping(item, allowed: ["header", "cookie", "client_address"], what: "a key part")
                guard fields.count == 1, let (kind, value) = fields.first else {
                    throw self.yaml.error(item, "each key part names one thing: {header: NAME}, {cookie: NAME} or {client_address: {...}}")
                }
                switch kind {
                case "header": parts.append(.header(try self.yaml.string(value, "header")))
                case "cookie": parts.append(.cookie(try self.yaml.string(value, "cookie")))
                default:
                    let prefixes = try self.yaml.mapping(value, allowed: ["ipv4_prefix", "ipv6_prefix"], what: "client_address")
                    let v4 = try prefixes["ipv4_prefix"].map { (node) throws(PolicyFileError) in try self.yaml.int(node, "ipv4_prefix", minimum: 0) } ?? 32
                    let v6 = try prefixes["ipv6_prefix"].map { (node) throws(PolicyFileError) in try self.yaml.int(node, "ipv6_prefix", minimum: 0) } ?? 128
                    if v4 > 32, let bad = prefixes["ipv4_prefix"] { throw self.yaml.error(bad, "ipv4_prefix is at most 32") }
                    if v6 > 128, let bad = prefixes["ipv6_prefix"] { throw self.yaml.error(bad, "ipv6_prefix is at most 128") }
                    parts.append(.clientAddress(ipv4Prefix: v4, ipv6Prefix: v6))
                }
            }
            return parts
        }
    }
}

/// A policy file that cannot be used: where (file:line:column) and what to do about it.
public typealias PolicyFileError = RuleFileError
