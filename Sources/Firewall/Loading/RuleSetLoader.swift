import NetworkAddress
import RuleFile
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Loads firewall rule files (YAML, see docs/rules.md) into a ``RuleSet``, validating everything first.
///
/// Any fault (bad YAML, an unknown field, a regex PCRE2 refuses, a duplicate id, an unknown transform, a missing
/// data file) throws a ``RuleFileError`` with file:line:column, and no rule set is produced: a live reload
/// keeps the old set serving.
public enum RuleSetLoader {
    /// File names that hold rate-limit policies, not firewall rules; a directory scan skips them.
    public static let policyFileNames: Set<String> = ["ratelimits.yaml", "ratelimits.yml"]

    /// Loads every `.yaml`/`.yml` file under `path` (a directory, recursively, in name order), or the one file.
    public static func load(path: String) throws(RuleFileError) -> RuleSet {
        try self.load(files: try self.ruleFiles(at: path))
    }

    /// The rule files `load(path:)` reads.
    public static func ruleFiles(at path: String) throws(RuleFileError) -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RuleFileError(file: path, line: 0, column: 0, message: "no such file or directory")
        }
        // Symbolic links are followed: Kubernetes mounts ConfigMaps through them.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let type = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType
        guard type == .typeDirectory, let entries = try? FileManager.default.subpathsOfDirectory(atPath: resolved) else { return [path] }
        var files: [String] = []
        for relative in entries {
            let components = relative.split(separator: "/")
            let name = components.last.map(String.init) ?? relative
            // Hidden entries are skipped anywhere in the path (a ConfigMap's `..data` holds second copies).
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !self.policyFileNames.contains(name), !components.contains(where: { $0.hasPrefix(".") }) else { continue }
            files.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
        }
        return files.sorted()
    }

    /// Loads the given rule files as one set.
    public static func load(files: [String]) throws(RuleFileError) -> RuleSet {
        var builder = Builder()
        for file in files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw RuleFileError(file: file, line: 0, column: 0, message: "cannot read the file: \(error.localizedDescription)")
            }
            try builder.add(text, file: file)
        }
        return builder.build(files: files)
    }

    /// Loads rules from YAML `text`; `file` names it in errors and locates its data files.
    public static func parse(_ text: String, file: String) throws(RuleFileError) -> RuleSet {
        var builder = Builder()
        try builder.add(text, file: file)
        return builder.build(files: [file])
    }

    /// Accumulates files into one set, checking what spans files (unique ids, one settings section).
    private struct Builder {
        var rules: [Rule] = []
        var exclusions: [RuleExclusion] = []
        var settings: FirewallSettings?
        var settingsLocation = ""
        var ruleLocations: [Int: String] = [:]
        var fingerprint = FNV1a()

        mutating func add(_ text: String, file: String) throws(RuleFileError) {
            self.fingerprint.add(file)
            self.fingerprint.add(text)
            let reader = RuleReader(yaml: YAMLReader(file: file))
            guard let root = try reader.yaml.compose(text) else { return }
            let top = try reader.yaml.mapping(root, allowed: ["settings", "rules", "exclusions"], what: "a rule file", extensions: true)
            if let node = top["settings"] {
                if self.settings != nil {
                    throw reader.yaml.error(node, "settings are already defined at \(self.settingsLocation); keep one settings section per rule set")
                }
                self.settings = try reader.settings(node)
                self.settingsLocation = reader.location(node)
            }
            if let node = top["rules"] {
                for item in try reader.yaml.list(node, "rules") {
                    let rule = try reader.rule(item, dataFiles: &self.fingerprint)
                    if let first = self.ruleLocations[rule.id] {
                        throw reader.yaml.error(item, "duplicate rule id \(rule.id) (first defined at \(first)); ids must be unique")
                    }
                    self.ruleLocations[rule.id] = rule.location
                    self.rules.append(rule)
                }
            }
            if let node = top["exclusions"] {
                for item in try reader.yaml.list(node, "exclusions") {
                    self.exclusions.append(try reader.exclusion(item))
                }
            }
        }

        func build(files: [String]) -> RuleSet {
            RuleSet(rules: self.rules, exclusions: self.exclusions, settings: self.settings ?? FirewallSettings(), files: files, version: self.fingerprint.hex)
        }
    }
}

/// A 64-bit FNV-1a hash: a cheap fingerprint of the loaded text, not a security measure.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            self.value = (self.value ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        self.value = (self.value ^ 0xFF) &* 0x100_0000_01b3
    }

    var hex: String {
        let digits = String(self.value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
