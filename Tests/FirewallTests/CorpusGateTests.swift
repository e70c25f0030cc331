import Firewall
import FirewallCorpora
import Foundation
import Testing
import TestSupport

/// Paths of the corpora, from this file's place in the repository.
enum Corpora {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// The CRS checkout every developer and CI run has beside the project at `../shared/crs` (never copied into
    /// it); `RAMPART_CRS` points elsewhere for a clone that lives in another place.
    static let crs = ProcessInfo.processInfo.environment["RAMPART_CRS"]
        ?? URL(fileURLWithPath: repository).deletingLastPathComponent().appendingPathComponent("shared/crs").path
}

/// The default rule set against public attacks (OWASP CRS v4 regression corpus) and our benign traffic.
///
/// The replays take seconds of CPU, so they run on a Dispatch thread (``offloaded(_:)``) rather than on one of
/// the few Swift concurrency threads that other suites' in-process servers need; the expectations are checked
/// back in the test.
@Suite struct CorpusGateTests {
    @Test func blocksTheCRSAttackCases() async throws {
        #expect(FileManager.default.fileExists(atPath: Corpora.crs), "no CRS corpus at \(Corpora.crs): put the shared material beside the clone or set RAMPART_CRS")
        let report = try await offloaded {
            CorpusReport(corpus: try CRSCorpus(root: Corpora.crs), ruleSet: try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall"))
        }
        let gated = report.total(of: CorpusGate.families)
        #expect(gated.attacks > 1900, "the corpus at \(Corpora.crs) looks incomplete")
        #expect(gated.blockedRatio >= CorpusGate.overall, "\(gated.blocked) of \(gated.attacks) PL1 attacks blocked")
        for family in CorpusGate.families {
            let tally = try #require(report.families[family])
            #expect(tally.blockedRatio >= CorpusGate.perFamily, "family \(family): \(tally.blocked) of \(tally.attacks) blocked")
        }
    }

    @Test func passesEveryBenignRequest() async throws {
        let (count, blocked) = try await offloaded {
            let ruleSet = try RuleSetLoader.load(
                files: try RuleSetLoader.ruleFiles(at: Corpora.repository + "/rules/firewall") + [Corpora.repository + "/Tests/Corpora/benign-exclusions.yaml"]
            )
            let corpus = try BenignCorpus(path: Corpora.repository + "/Tests/Corpora/benign.yaml")
            return (corpus.cases.count, corpus.falsePositives(ruleSet).map { "\($0.name): \($0.matches.map(\.ruleID))" })
        }
        #expect(count >= 60)
        #expect(blocked.isEmpty, "\(blocked)")
    }

    @Test func evaluationsInASpentOnesStorageDecideAsFreshOnes() async throws {
        // The proxy starts each evaluation in the arrays of the one before (emptied): nothing of the last request
        // may leak into the next. Every third CRS case and every benign one, interleaved, so long bodies follow
        // short GETs and the other way round; each is evaluated fresh and in the spent evaluation's storage.
        let mismatches = try await offloaded {
            let ruleSet = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
            let attacks = try CRSCorpus(root: Corpora.crs).cases.enumerated().filter { $0.offset % 3 == 0 }.map(\.element.request)
            let benign = try BenignCorpus(path: Corpora.repository + "/Tests/Corpora/benign.yaml").cases.map(\.request)
            var requests: [FirewallRequest] = []
            for (index, attack) in attacks.enumerated() {
                requests.append(attack)
                if !benign.isEmpty { requests.append(benign[index % benign.count]) }
            }
            var spare: FirewallEvaluation?
            var mismatches: [String] = []
            for request in requests {
                let fresh = ruleSet.evaluate(request)
                let reused = ruleSet.evaluate(request, reusing: &spare)
                if reused.verdict != fresh.verdict || reused.matches != fresh.matches || reused.score != fresh.score {
                    mismatches.append("\(request.method) \(request.uri): \(reused.matches.map(\.ruleID)) against \(fresh.matches.map(\.ruleID))")
                }
            }
            return (requests.count, mismatches)
        }
        #expect(mismatches.0 > 1_500)
        #expect(mismatches.1.isEmpty, "\(mismatches.1.prefix(5))")
    }

    @Test func theCodeFieldExclusionIsWhatLetsSnippetsThrough() async throws {
        let blocked = try await offloaded {
            let ruleSet = try RuleSetLoader.load(path: Corpora.repository + "/rules/firewall")
            return try BenignCorpus(path: Corpora.repository + "/Tests/Corpora/benign.yaml").falsePositives(ruleSet).map(\.name)
        }
        #expect(blocked.contains("shell snippet in a code field"))
        #expect(blocked.allSatisfy { $0.contains("code field") }, "\(blocked)")
    }
}
