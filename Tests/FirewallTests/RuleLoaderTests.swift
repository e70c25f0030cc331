import Firewall
import Foundation
import RuleFile
import Testing

/// Broken rule files are refused with file:line:column and a hint, and the loader reads directories and data
/// files as `rampart check` and live reload use them.
@Suite struct RuleLoaderTests {
    static func error(_ yaml: String) -> RuleFileError? {
        do {
            _ = try RuleSetLoader.parse(yaml, file: "bad.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("rules:\n  - {id: 1, message: m, targets: [args], operator: regex, argument: 'a(b'}\n", 2, "missing closing parenthesis"),
        ("rules:\n  - id: 1\n    message: m\n    targets: [args]\n    operator: contains\n    argument: x\n    colour: red\n", 7, "unknown field \"colour\""),
        ("rules:\n  - {id: 1, message: m, targets: [args], operator: contains, argument: x}\n  - {id: 1, message: n, targets: [args], operator: contains, argument: y}\n", 3, "duplicate rule id 1 (first defined at bad.yaml:2)"),
        ("rules:\n  - id: 1\n    message: m\n    targets: [args]\n    transforms: [url_decode, upper]\n    operator: contains\n    argument: x\n", 5, "unknown transform \"upper\""),
        ("rules:\n  - id: 1\n    message: m\n    targets: [args]\n    operator: phrases\n    data_file: nowhere.txt\n", 6, "data file \"nowhere.txt\" cannot be read"),
        ("rules:\n  - {id: 1, message: m, targets: [argz], operator: contains, argument: x}\n", 2, "unknown target \"argz\""),
        ("rules:\n  - {id: 1, message: m, targets: [args], operator: matches, argument: x}\n", 2, "unknown operator \"matches\""),
        ("rules:\n  - {id: 1, message: m, phase: request_headers, targets: [body], operator: contains, argument: x}\n", 2, "only known in phase request_body"),
        ("rules:\n  - {id: 1, message: m, targets: [args], operator: cidr, argument: [10.0.0.0/33]}\n", 2, "prefix length"),
        ("rules: [\n", 2, "not valid YAML"),
    ] as [(String, Int, String)])
    func rejectsWithPosition(yaml: String, line: Int, message: String) throws {
        let error = try #require(Self.error(yaml))
        #expect(error.file == "bad.yaml")
        #expect(error.line == line)
        #expect(error.column > 0)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func loadsADirectoryWithDataFilesAndSkipsThePolicyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "# scanners\nsqlmap\n\nnikto\n".write(toFile: directory + "/data/agents.txt", atomically: true, encoding: .utf8)
        try """
            rules:
              - {id: 10, message: scanner, tags: [scanner], phase: request_headers, targets: [headers:user-agent], operator: phrases, data_file: data/agents.txt, action: deny}
            """.write(toFile: directory + "/b.yaml", atomically: true, encoding: .utf8)
        try "rules:\n  - {id: 5, message: first, tags: [x, scanner], targets: [args], operator: contains, argument: a}\n".write(toFile: directory + "/a.yml", atomically: true, encoding: .utf8)
        try "policies: []\n".write(toFile: directory + "/ratelimits.yaml", atomically: true, encoding: .utf8)
        let set = try RuleSetLoader.load(path: directory)
        #expect(set.rules.map(\.id) == [10, 5])  // headers phase first, then by file name
        #expect(set.files.map { $0.split(separator: "/").last.map(String.init) ?? "" } == ["a.yml", "b.yaml"])
        #expect(set.rulesPerTag == ["scanner": 2, "x": 1])
        #expect(set.evaluate(FirewallRequest(method: "GET", uri: "/", headers: [("User-Agent", "NiKTo/2.5")])).isDenied)

        let before = set.version
        try "# scanners\nsqlmap\n".write(toFile: directory + "/data/agents.txt", atomically: true, encoding: .utf8)
        #expect(try RuleSetLoader.load(path: directory).version != before)
    }

    @Test func theDefaultRuleSetLoads() throws {
        let set = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
        #expect(set.rules.count > 40)
        #expect(Set(set.rules.map(\.id)).count == set.rules.count)
        for tag in ["attack-sqli", "attack-xss", "attack-lfi", "attack-rfi", "attack-rce", "attack-php", "attack-java", "scanner", "protocol"] {
            #expect((set.rulesPerTag[tag] ?? 0) > 0, "no rule tagged \(tag)")
        }
    }
}
