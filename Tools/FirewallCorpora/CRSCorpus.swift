import Firewall
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The OWASP CRS v4 regression corpus (go-ftw test files), read in place from `../shared/crs` and turned into
/// firewall requests, so the default rule set can be measured in-process against public attack cases.
///
/// A case whose `expect_ids` names a paranoia-level-1 rule is an **attack** the firewall should block. A case with
/// only `no_expect_ids` is a **near miss**: benign for that rule, often an attack for another, so it is reported
/// and not gated.
public struct CRSCorpus: Sendable {
    /// How a case counts.
    public enum Kind: String, Sendable {
        /// Expects a PL1 rule to fire.
        case attack
        /// Expects named rules not to fire, and none to fire.
        case nearMiss
    }

    /// One test stage as a request.
    public struct Case: Sendable {
        /// The rule family, e.g. `942`.
        public let family: String
        /// `942100-4`: rule and test id.
        public let name: String
        /// Attack or near miss.
        public let kind: Kind
        /// The request.
        public let request: FirewallRequest
    }

    /// Cases that count, in file order.
    public let cases: [Case]
    /// Stages read but neither attack nor near miss (expecting rules above PL1, or only a status).
    public let skipped: Int

    /// Reads the corpus under `root` (the CRS checkout: `rules/` and `tests/regression/tests/`).
    public init(root: String) throws {
        let levels = try Self.paranoiaLevels(rulesDirectory: root + "/rules")
        let testsRoot = root + "/tests/regression/tests"
        var cases: [Case] = []
        var skipped = 0
        // Response families test what a server sends back; the firewall inspects requests only.
        for relative in try FileManager.default.subpathsOfDirectory(atPath: testsRoot).sorted() where relative.hasSuffix(".yaml") && relative.hasPrefix("REQUEST-") {
            let family = String(relative.split(separator: "/").last?.prefix(3) ?? "")
            let text = try String(contentsOfFile: testsRoot + "/" + relative, encoding: .utf8)
            guard let root = try Yams.compose(yaml: text), let tests = root["tests"]?.sequence else { continue }
            let ruleID = root["rule_id"]?.int ?? 0
            for test in tests {
                let testID = test["test_id"]?.int ?? 0
                for stage in test["stages"]?.sequence ?? [] {
                    guard let input = stage["input"], let request = Self.request(input) else {
                        skipped += 1
                        continue
                    }
                    let log = stage["output"]?["log"]
                    let expected = (log?["expect_ids"]?.sequence ?? []).compactMap(\.int)
                    let kind: Kind
                    if !expected.isEmpty {
                        guard expected.contains(where: { levels[$0] == 1 }) else {
                            skipped += 1
                            continue
                        }
                        kind = .attack
                    } else if !(log?["no_expect_ids"]?.sequence ?? []).isEmpty {
                        kind = .nearMiss
                    } else {
                        skipped += 1
                        continue
                    }
                    cases.append(Case(family: family, name: "\(ruleID)-\(testID)", kind: kind, request: request))
                }
            }
        }
        self.cases = cases
        self.skipped = skipped
    }

    /// Each rule id's paranoia level, from the `paranoia-level/N` tag of its SecRule.
    static func paranoiaLevels(rulesDirectory: String) throws -> [Int: Int] {
        var levels: [Int: Int] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: rulesDirectory) where file.hasSuffix(".conf") {
            let text = try String(contentsOfFile: rulesDirectory + "/" + file, encoding: .utf8)
            var currentID: Int?
            for line in text.split(separator: "\n") {
                if line.hasPrefix("SecRule") || line.hasPrefix("SecAction") { currentID = nil }
                if currentID == nil, let range = line.firstRange(of: "id:") {
                    currentID = Int(line[range.upperBound...].prefix { $0.isNumber })
                }
                if let id = currentID, let range = line.firstRange(of: "paranoia-level/"), let level = line[range.upperBound...].first?.wholeNumberValue {
                    levels[id] = levels[id] ?? level
                }
            }
        }
        return levels
    }

    /// The request a go-ftw stage sends, with go-ftw's header completion (a form Content-Type for a body).
    static func request(_ input: Node) -> FirewallRequest? {
        if let encoded = input["encoded_request"]?.string {
            guard let raw = Data(base64Encoded: encoded) else { return nil }
            return self.parseRaw(Array(raw))
        }
        var headers: [(name: String, value: String)] = []
        for (key, value) in input["headers"]?.mapping ?? [:] {
            if let name = key.string { headers.append((name, value.string ?? "")) }
        }
        var body: [UInt8] = []
        if let data = input["data"] {
            if let text = data.string {
                body = Array(text.utf8)
            } else if let lines = data.sequence {
                body = Array(lines.compactMap(\.string).joined(separator: "\r\n").utf8)
            }
        }
        let autocomplete = input["autocomplete_headers"]?.bool ?? true
        if autocomplete, !body.isEmpty, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        return FirewallRequest(
            method: input["method"]?.string ?? "GET",
            uri: input["uri"]?.string ?? "/",
            headers: headers,
            body: body,
            clientAddress: "127.0.0.1"
        )
    }

    /// A raw HTTP/1 request (request line, headers, blank line, body).
    static func parseRaw(_ raw: [UInt8]) -> FirewallRequest? {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.firstRange(of: "\r\n\r\n") ?? text.firstRange(of: "\n\n") else { return nil }
        let lines = text[..<split.lowerBound].split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        return FirewallRequest(
            method: String(parts[0]), uri: String(parts[1]), headers: headers,
            body: Array(text[split.upperBound...].utf8), clientAddress: "127.0.0.1"
        )
    }
}
