import Foundation
import Testing
import TestSupport

/// `rampart check` as a user runs it: the built binary on the repository's rules and on broken copies.
@Suite struct CheckCommandTests {
    static let binary = repositoryRoot + "/.build/debug/rampart"

    static func check(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
        try await runProgram(self.binary, ["check"] + arguments)
    }

    /// A scratch rules directory holding `files` (relative path to contents), removed at the end of the test.
    final class RulesDirectory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-check-\(UInt64.random(in: 0...UInt64.max))").path

        init(_ files: [String: String]) throws {
            for (name, text) in files {
                let file = self.path + "/" + name
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: file, atomically: true, encoding: .utf8)
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: self.path) }
    }

    @Test func theRepositoryRulesAreValid() async throws {
        let result = try await Self.check([repositoryRoot + "/rules"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("firewall rules"))
        #expect(result.output.contains("  attack-sqli: "))
        #expect(result.output.contains("rate-limit policies"))
        #expect(result.output.hasSuffix("OK\n"))
    }

    @Test(arguments: [
        ("firewall/a.yaml", "rules:\n  - {id: 1, message: m, targets: [args], operator: regex, argument: 'x(?<'}\n", "a.yaml:2:", "fix the regex"),
        ("firewall/a.yaml", "rules:\n  - {id: 1, message: m, targets: [args], operator: contains, argument: x, severity: high}\n", "a.yaml:2:", "severity must be one of"),
        ("firewall/a.yaml", "rules:\n  - {id: 1, message: m, targets: [args], operator: phrases, data_file: words.txt}\n", "a.yaml:2:", "data file"),
        ("ratelimits.yaml", "policies:\n  - name: p\n    rate: 10/fortnight\n", "ratelimits.yaml:3:", "rate"),
    ] as [(String, String, String, String)])
    func aBrokenFileFailsWithItsPosition(file: String, text: String, position: String, hint: String) async throws {
        let good = "rules:\n  - {id: 9, message: ok, targets: [args], operator: contains, argument: x}\n"
        let directory = try RulesDirectory(["firewall/z.yaml": good, file: text])
        let result = try await Self.check([directory.path])
        #expect(result.status == 1)
        #expect(result.errors.contains(position), "\(result.errors)")
        #expect(result.errors.contains(hint), "\(result.errors)")
        #expect(!result.output.contains("OK"))
    }

    @Test func duplicateIdsAcrossFilesNameBothPlaces() async throws {
        let directory = try RulesDirectory([
            "a.yaml": "rules:\n  - {id: 7, message: a, targets: [args], operator: contains, argument: x}\n",
            "b.yaml": "rules:\n\n  - {id: 7, message: b, targets: [args], operator: contains, argument: y}\n",
        ])
        let result = try await Self.check([directory.path])
        #expect(result.status == 1)
        #expect(result.errors.contains("b.yaml:3:"))
        #expect(result.errors.contains("duplicate rule id 7 (first defined at \(directory.path)/a.yaml:2)"))
    }

    @Test func theDeployConfigAndItsRulesAreValid() async throws {
        let result = try await runProgram(Self.binary, ["check", "--config", repositoryRoot + "/deploy/rampart.yaml", repositoryRoot + "/rules"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("listen 127.0.0.1:8080, admin 127.0.0.1:9901"))
    }

    @Test func aBrokenConfigFailsWithItsPosition() async throws {
        let directory = try RulesDirectory(["rampart.yaml": "listen: 127.0.0.1:8080\nupstreams:\n  a: {servers: [nowhere]}\n"])
        let result = try await runProgram(Self.binary, ["check", "--config", directory.path + "/rampart.yaml", repositoryRoot + "/rules"])
        #expect(result.status == 1)
        #expect(result.errors.contains("rampart.yaml:3:"), "\(result.errors)")
        #expect(result.errors.contains("host:port"))
    }

    @Test func versionAndHelp() async throws {
        #expect(try await runProgram(Self.binary, ["version"]).output.hasPrefix("rampart "))
        let help = try await runProgram(Self.binary, ["check", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("ratelimits.yaml"))
    }
}
