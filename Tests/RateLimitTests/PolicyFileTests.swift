import Foundation
import RateLimit
import Testing

@Suite("Policy files")
struct PolicyFileTests {
    static let repositoryRules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules/ratelimits.yaml").path

    @Test func theRepositorysPoliciesLoad() throws {
        let policies = try PolicyFile.load(path: Self.repositoryRules)
        #expect(policies.map(\.name) == ["per-client", "login", "per-api-key", "orders-trial", "uploads-in-flight"])
        #expect(policies[1] == RateLimitPolicy(
            name: "login",
            match: RequestMatch(pathPrefix: "/login", methods: ["POST"]),
            key: [.clientAddress(ipv4Prefix: 24, ipv6Prefix: 64)],
            limit: .tokenBucket(rate: Rate(count: 5, window: 60), burst: 5, cost: 1)
        ))
        #expect(policies[2].key == [.header("X-API-Key")])
        #expect(policies[2].missing == .clientAddress)
        #expect(policies[3].mode == .shadow)
        #expect(policies[4].limit == .concurrency(limit: 8))
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let policies = try PolicyFile.parse("policies:\n  - name: p\n    rate: 10/s\n", file: "t.yaml")
        #expect(policies == [RateLimitPolicy(name: "p", limit: .tokenBucket(rate: Rate(count: 10, window: 1), burst: 10, cost: 1))])
        #expect(try PolicyFile.parse("", file: "empty.yaml").isEmpty)
    }

    @Test(arguments: [
        ("policies:\n  - name: p\n    rate: 10/s\n    brust: 5\n", "t.yaml:4:5: unknown field \"brust\" in a policy; expected one of: "),
        ("policies:\n  - name: p\n    rate: 10/s\n  - name: p\n    rate: 1/s\n", "t.yaml:4:5: duplicate policy name \"p\" (first defined on line 2)"),
        ("policies:\n  - name: p\n    rate: ten/s\n", "t.yaml:3:11: rate \"ten/s\": write it as COUNT/UNIT"),
        ("policies:\n  - name: p\n    rate: 1/s\n    burst: 2\n    cost: 3\n", "t.yaml:5:11: cost 3 is more than burst 2"),
        ("policies:\n  - name: p\n    burst: 2\n", "t.yaml:2:5: policy \"p\" needs either rate"),
        ("policies:\n  - name: p\n    rate: 1/s\n    concurrency: 2\n", "t.yaml:4:18: policy \"p\" has both rate and concurrency"),
        ("policies:\n  - name: p\n    rate: 1/s\n    key: [ip]\n", "t.yaml:4:11: unknown key \"ip\""),
        ("policies:\n  - name: p\n    rate: 1/s\n    mode: loud\n", "t.yaml:4:11: mode must be one of: enforce, shadow"),
        ("policies:\n  - name: p\n    rate: 1/s\n    match: {path_prefix: api}\n", "t.yaml:4:26: paths start with /"),
        ("policies:\n  - name: [p\n", "t.yaml:3:1: not valid YAML"),
    ])
    func mistakesAreReportedWithFileLineAndColumn(text: String, expected: String) {
        let error = #expect(throws: PolicyFileError.self) { try PolicyFile.parse(text, file: "t.yaml") }
        #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error")")
    }
}
