import ArgumentParser
import Firewall
import RateLimit
import RuleFile

import Foundation
import ProxyCore

/// `rampart check`: validates firewall rule files and rate-limit policies without starting anything, with the
/// same loaders a live reload uses, so a file that passes here will not be refused there.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate rule files and rate-limit policies.",
        discussion: """
            With --config, the config file is validated too, and its rules directory is checked when no PATH is
            given. Each PATH is a rules directory or a file. In a directory, every .yaml/.yml file is a firewall rule file
            except ratelimits.yaml, which holds rate-limit policies. Exits 0 when everything is valid; otherwise
            prints file:line:column and what to fix for each problem, and exits 1.
            """
    )

    @Argument(help: "Rule directories or files (default: the config's rules directory, or rules).")
    var paths: [String] = []

    @Option(name: .long, help: "Also validate this config file (rampart.yaml) and the rules it names.")
    var config: String?

    func run() throws {
        var failed = false
        var paths = self.paths
        if let configPath = self.config {
            do {
                let config = try ProxyConfigFile.load(path: configPath, environment: ProcessInfo.processInfo.environment)
                print("\(configPath): listen \(config.listen), admin \(config.adminListen), \(config.upstreams.count) upstreams, \(config.routes.count) routes")
                if paths.isEmpty { paths = [config.rulesDirectory] }
            } catch {
                failed = true
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
        }
        if paths.isEmpty && self.config == nil { paths = ["rules"] }
        for path in paths {
            do {
                for line in try Self.check(path) { print(line) }
            } catch {
                failed = true
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            }
        }
        if failed { throw ExitCode.failure }
        print("OK")
    }

    /// The summary lines for `path`, or the first error in it.
    static func check(_ path: String) throws(RuleFileError) -> [String] {
        var lines: [String] = []
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if RuleSetLoader.policyFileNames.contains(name) {
            return [try self.policySummary(path)]
        }
        let files = try RuleSetLoader.ruleFiles(at: path)
        if !files.isEmpty {
            let ruleSet = try RuleSetLoader.load(files: files)
            lines.append("\(path): \(ruleSet.rules.count) firewall rules, \(ruleSet.exclusions.count) exclusions in \(files.count) files (version \(ruleSet.version))")
            for (tag, count) in ruleSet.rulesPerTag.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(tag): \(count)")
            }
        }
        if let policyFile = self.policies(path) {
            lines.append(try self.policySummary(policyFile))
        }
        return lines
    }

    /// The rate-limit policy file at or directly under `path`, if there is one.
    private static func policies(_ path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if RuleSetLoader.policyFileNames.contains(name) { return path }
        return RuleSetLoader.policyFileNames.sorted().map { path + "/" + $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    private static func policySummary(_ path: String) throws(RuleFileError) -> String {
        let policies = try PolicyFile.load(path: path)
        return "\(path): \(policies.count) rate-limit policies (\(policies.map(\.name).joined(separator: ", ")))"
    }
}
