import FirewallCorpora
import Firewall

import Foundation

/// Replays the OWASP CRS regression corpus through a rule set, in-process, and prints a Markdown report.
///
///     crs-replay [--rules rules/firewall] [--extra FILE] [--crs ../shared/crs] [--benign Tests/Corpora/benign.yaml]
///                [--missed FAMILY] [--false-positives FAMILY]
let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String, _ fallback: String?) -> String? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else { return fallback }
    return arguments[arguments.index(after: index)]
}

let rulesPath = option("--rules", "rules/firewall") ?? "rules/firewall"
let crsPath = option("--crs", "../shared/crs") ?? "../shared/crs"
do {
    let ruleSet = try RuleSetLoader.load(files: try RuleSetLoader.ruleFiles(at: rulesPath) + (option("--extra", nil).map { [$0] } ?? []))
    let corpus = try CRSCorpus(root: crsPath)
    let report = CorpusReport(corpus: corpus, ruleSet: ruleSet)
    print("# CRS v4 regression corpus against \(rulesPath)\n")
    print("\(ruleSet.rules.count) rules; \(corpus.cases.count) cases (\(corpus.skipped) stages skipped: above PL1, response rules or no expectation).\n")
    print(report.markdown(gated: CorpusGate.families))
    if let benignPath = option("--benign", nil) {
        let benign = try BenignCorpus(path: benignPath)
        let blocked = benign.falsePositives(ruleSet)
        print("\nBenign corpus \(benignPath): \(benign.cases.count) requests, \(blocked.count) blocked.")
        for (name, matches) in blocked {
            print("- \(name): " + matches.map { "\($0.ruleID) on \($0.target) = \($0.value)" }.joined(separator: "; "))
        }
    }
    if let family = option("--missed", nil) {
        print("\nMissed attacks in \(family):\n" + (report.missed[family] ?? []).joined(separator: " "))
    }
    if let family = option("--false-positives", nil) {
        print("\nBlocked near misses in \(family):\n" + (report.falsePositives[family] ?? []).joined(separator: "\n"))
    }
} catch {
    FileHandle.standardError.write(Data("crs-replay: \(error)\n".utf8))
    exit(1)
}
