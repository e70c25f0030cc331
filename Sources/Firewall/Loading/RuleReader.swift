import NetworkAddress
import RuleFile
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads the sections of one rule file into the model, with the file's positions in every error.
struct RuleReader {
    let yaml: YAMLReader

    private static let ruleFields = [
        "id", "message", "severity", "tags", "phase", "targets", "exclude_targets", "transforms", "operator", "argument",
        "data_file", "negate", "chain", "action", "score", "status", "detection_only",
    ]
    private static let conditionFields = ["targets", "exclude_targets", "transforms", "operator", "argument", "data_file", "negate"]

    func location(_ node: Node) -> String {
        "\(self.yaml.file):\(node.mark?.line ?? 0)"
    }

    func settings(_ node: Node) throws(RuleFileError) -> FirewallSettings {
        let fields = try self.yaml.mapping(node, allowed: ["anomaly_threshold", "deny_status", "detection_only"], what: "settings")
        var settings = FirewallSettings()
        if let value = fields["anomaly_threshold"] { settings.anomalyThreshold = try self.yaml.int(value, "anomaly_threshold", minimum: 1) }
        if let value = fields["deny_status"] { settings.denyStatus = try self.status(value, "deny_status") }
        if let value = fields["detection_only"] { settings.detectionOnly = try self.yaml.bool(value, "detection_only") }
        return settings
    }

    func rule(_ node: Node, dataFiles: inout FNV1a) throws(RuleFileError) -> Rule {
        let fields = try self.yaml.mapping(node, allowed: Self.ruleFields, what: "a rule")
        guard let idNode = fields["id"] else { throw self.yaml.error(node, "a rule needs an id (a whole number, unique in the rule set)") }
        let id = try self.yaml.int(idNode, "id", minimum: 1)
        guard let messageNode = fields["message"] else { throw self.yaml.error(node, "rule \(id) needs a message saying what it detects") }
        let severity = try self.yaml.choice(fields["severity"], "severity", default: Rule.Severity.critical, Rule.Severity.allCases)
        let phase = try self.yaml.choice(fields["phase"], "phase", default: Rule.Phase.requestBody, Rule.Phase.allCases)

        var conditionFields: [String: Node] = [:]
        for name in Self.conditionFields { conditionFields[name] = fields[name] }
        let condition = try self.condition(conditionFields, at: node, phase: phase, dataFiles: &dataFiles)
        var chain: [RuleCondition] = []
        if let chainNode = fields["chain"] {
            for item in try self.yaml.list(chainNode, "chain") {
                let linkFields = try self.yaml.mapping(item, allowed: Self.conditionFields, what: "a chained condition")
                chain.append(try self.condition(linkFields, at: item, phase: phase, dataFiles: &dataFiles))
            }
        }

        let actionName = try self.yaml.choice(fields["action"], "action", default: ActionName.score, ActionName.allCases)
        let action: Rule.Action
        switch actionName {
        case .deny: action = .deny(status: try fields["status"].map { (node) throws(RuleFileError) in try self.status(node, "status") } ?? 403)
        case .log: action = .log
        case .allow: action = .allow
        case .score: action = .score(try fields["score"].map { (node) throws(RuleFileError) in try self.yaml.int(node, "score", minimum: 0) } ?? severity.defaultScore)
        }
        if actionName != .deny, let status = fields["status"] { throw self.yaml.error(status, "status applies to action deny only") }
        if actionName != .score, let score = fields["score"] { throw self.yaml.error(score, "score applies to action score only") }

        return Rule(
            id: id,
            message: try self.yaml.string(messageNode, "message"),
            severity: severity,
            tags: try fields["tags"].map { (node) throws(RuleFileError) in try self.yaml.strings(node, "tags") } ?? [],
            phase: phase,
            condition: condition,
            chain: chain,
            action: action,
            detectionOnly: try fields["detection_only"].map { (node) throws(RuleFileError) in try self.yaml.bool(node, "detection_only") } ?? false,
            location: self.location(node)
        )
    }

    private enum ActionName: String, CaseIterable {
        case deny, log, allow, score
    }

    private func status(_ node: Node, _ field: String) throws(RuleFileError) -> Int {
        let status = try self.yaml.int(node, field, minimum: 400)
        guard status <= 599 else { throw self.yaml.error(node, "\(field) must be an HTTP error status (400-599)") }
        return status
    }

    private func condition(_ fields: [String: Node], at node: Node, phase: Rule.Phase, dataFiles: inout FNV1a) throws(RuleFileError) -> RuleCondition {
        guard let targetsNode = fields["targets"] else { throw self.yaml.error(node, "a condition needs targets, e.g. [args, headers:user-agent]") }
        let targets = try self.targets(targetsNode, "targets", phase: phase)
        let excluded = try fields["exclude_targets"].map { (node) throws(RuleFileError) in try self.targets(node, "exclude_targets", phase: phase) } ?? []
        if let bad = excluded.first(where: { $0.count }) {
            throw self.yaml.error(fields["exclude_targets"] ?? node, "exclude_targets names members to leave out; \(bad) is a count")
        }
        var transforms: [Transform] = []
        if let list = fields["transforms"] {
            for item in try self.yaml.list(list, "transforms") {
                let name = try self.yaml.string(item, "a transform")
                guard let transform = Transform(rawValue: name) else {
                    throw self.yaml.error(item, "unknown transform \"\(name)\"; expected one of: \(Transform.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                transforms.append(transform)
            }
        }
        guard let operatorNode = fields["operator"] else {
            throw self.yaml.error(node, "a condition needs an operator: \(RuleOperator.names.joined(separator: ", "))")
        }
        let name = try self.yaml.string(operatorNode, "operator")
        guard RuleOperator.names.contains(name) else {
            throw self.yaml.error(operatorNode, "unknown operator \"\(name)\"; expected one of: \(RuleOperator.names.joined(separator: ", "))")
        }
        return RuleCondition(
            targets: targets, excludedTargets: excluded, transforms: transforms,
            operator: try self.operator(name, fields["argument"], fields["data_file"], at: operatorNode, dataFiles: &dataFiles),
            negated: try fields["negate"].map { (node) throws(RuleFileError) in try self.yaml.bool(node, "negate") } ?? false
        )
    }

    private func targets(_ node: Node, _ field: String, phase: Rule.Phase) throws(RuleFileError) -> [TargetSelector] {
        var selectors: [TargetSelector] = []
        for item in try self.yaml.list(node, field, allowScalar: true) {
            let selector: TargetSelector
            do {
                selector = try TargetSelector(parsing: try self.yaml.string(item, "a target"))
            } catch let error as TargetSelectorError {
                throw self.yaml.error(item, error.description)
            } catch {
                throw self.yaml.error(item, "\(error)")
            }
            if phase == .requestHeaders, [.body, .unparsedBody, .files].contains(selector.collection) {
                throw self.yaml.error(item, "\(selector.collection.rawValue) is only known in phase request_body")
            }
            selectors.append(selector)
        }
        return selectors
    }

    private func `operator`(_ name: String, _ argument: Node?, _ dataFile: Node?, at node: Node, dataFiles: inout FNV1a) throws(RuleFileError) -> RuleOperator {
        if let dataFile, name != "phrases", name != "in" {
            throw self.yaml.error(dataFile, "data_file applies to the phrases and in operators only")
        }
        switch name {
        case "regex":
            guard let argument else { throw self.yaml.error(node, "the regex operator needs an argument: the pattern") }
            let pattern = try self.yaml.string(argument, "the regex")
            do {
                return .regex(try CompiledPattern(pattern))
            } catch {
                throw self.yaml.error(argument, "\(error.message) at offset \(error.offset) of the pattern; fix the regex (PCRE2 syntax)")
            }
        case "phrases", "in":
            let words = try self.words(argument, dataFile, at: node, dataFiles: &dataFiles)
            return name == "phrases" ? .phrases(PhraseMatcher(words)) : .oneOf(Set(words.map { Array($0.utf8) }))
        case "cidr":
            guard let argument else { throw self.yaml.error(node, "the cidr operator needs an argument: networks such as [10.0.0.0/8]") }
            var blocks: [CIDRBlock] = []
            for item in try self.yaml.list(argument, "argument", allowScalar: true) {
                do {
                    blocks.append(try CIDRBlock(parsing: try self.yaml.string(item, "a network")))
                } catch let error as CIDRBlockError {
                    throw self.yaml.error(item, error.description)
                } catch {
                    throw self.yaml.error(item, "\(error)")
                }
            }
            return .cidr(blocks)
        case "equals", "contains", "begins_with", "ends_with":
            guard let argument, let text = argument.scalar?.string else { throw self.yaml.error(argument ?? node, "the \(name) operator needs a string argument") }
            let bytes = Array(text.utf8)
            switch name {
            case "equals": return .equals(bytes)
            case "contains": return .contains(bytes)
            case "begins_with": return .beginsWith(bytes)
            default: return .endsWith(bytes)
            }
        default:
            guard let argument, let comparison = NumericComparison(rawValue: name) else {
                throw self.yaml.error(node, "the \(name) operator needs a number argument")
            }
            guard let number = argument.int else { throw self.yaml.error(argument, "the \(name) operator compares with a whole number") }
            return .numeric(comparison, number)
        }
    }

    /// Words from the inline list and/or a data file (one per line; blank lines and `#` comments skipped).
    private func words(_ argument: Node?, _ dataFile: Node?, at node: Node, dataFiles: inout FNV1a) throws(RuleFileError) -> [String] {
        var words = try argument.map { (node) throws(RuleFileError) in try self.yaml.strings(node, "argument") } ?? []
        if let dataFile {
            let name = try self.yaml.string(dataFile, "data_file")
            let directory = self.yaml.file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let path = name.hasPrefix("/") || directory.isEmpty ? name : directory + "/" + name
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw self.yaml.error(dataFile, "data file \"\(path)\" cannot be read; data files are found next to the rule file")
            }
            dataFiles.add(text)
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
                let word = line.drop { $0 == " " || $0 == "\t" }
                if !word.isEmpty && !word.hasPrefix("#") { words.append(String(word)) }
            }
        }
        guard !words.isEmpty else { throw self.yaml.error(argument ?? node, "this operator needs words: an argument list or a data_file") }
        return words
    }

    func exclusion(_ node: Node) throws(RuleFileError) -> RuleExclusion {
        let fields = try self.yaml.mapping(node, allowed: ["rule_ids", "tags", "path_prefix", "methods", "targets"], what: "an exclusion")
        var ids: Set<Int> = []
        if let list = fields["rule_ids"] {
            for item in try self.yaml.list(list, "rule_ids", allowScalar: true) { ids.insert(try self.yaml.int(item, "a rule id", minimum: 1)) }
        }
        let tags = try fields["tags"].map { (node) throws(RuleFileError) in try self.yaml.strings(node, "tags") } ?? []
        guard !ids.isEmpty || !tags.isEmpty else { throw self.yaml.error(node, "an exclusion needs rule_ids or tags to say which rules it turns off") }
        let prefix = try fields["path_prefix"].map { (node) throws(RuleFileError) in try self.yaml.string(node, "path_prefix") }
        if let prefix, !prefix.hasPrefix("/"), let prefixNode = fields["path_prefix"] { throw self.yaml.error(prefixNode, "path_prefix starts with /") }
        return RuleExclusion(
            ruleIDs: ids,
            tags: Set(tags),
            pathPrefix: prefix,
            methods: Set(try fields["methods"].map { (node) throws(RuleFileError) in try self.yaml.strings(node, "methods") } ?? []),
            targets: try fields["targets"].map { (node) throws(RuleFileError) in try self.targets(node, "targets", phase: .requestBody) } ?? [],
            location: self.location(node)
        )
    }
}
