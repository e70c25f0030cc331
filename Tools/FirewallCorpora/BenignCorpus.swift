import Firewall
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Our own corpus of benign traffic (`Tests/Corpora/benign.yaml`): API calls, forms, JSON prose, markdown, names
/// such as O'Brien, search queries with SQL words. The default rule set must pass all of it.
public struct BenignCorpus: Sendable {
    /// One request and its label.
    public struct Case: Sendable {
        /// What the request is.
        public let name: String
        /// The request.
        public let request: FirewallRequest
    }

    /// Headers a browser sends, added to every case that does not set them itself.
    static let browserHeaders: [(name: String, value: String)] = [
        ("Host", "shop.example.com"),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        ("Accept-Language", "en-GB,en;q=0.9"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Connection", "keep-alive"),
    ]

    /// The cases.
    public let cases: [Case]

    /// Reads the corpus file at `path`.
    public init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var cases: [Case] = []
        for item in try Yams.compose(yaml: text)?["requests"]?.sequence ?? [] {
            var headers = Self.browserHeaders
            for (key, value) in item["headers"]?.mapping ?? [:] {
                guard let name = key.string else { continue }
                headers.removeAll { $0.name.lowercased() == name.lowercased() }
                headers.append((name, value.string ?? ""))
            }
            let body = Array((item["body"]?.string ?? "").utf8)
            if let contentType = item["content_type"]?.string { headers.append(("Content-Type", contentType)) }
            if !body.isEmpty { headers.append(("Content-Length", String(body.count))) }
            cases.append(
                Case(
                    name: item["name"]?.string ?? "?",
                    request: FirewallRequest(
                        method: item["method"]?.string ?? "GET", uri: item["uri"]?.string ?? "/", headers: headers, body: body,
                        clientAddress: "198.51.100.23"
                    )
                )
            )
        }
        self.cases = cases
    }

    /// The cases `ruleSet` would block, with the rules that did it.
    public func falsePositives(_ ruleSet: RuleSet) -> [(name: String, matches: [RuleMatch])] {
        self.cases.compactMap { item in
            let decision = ruleSet.evaluate(item.request)
            return decision.isDenied || decision.wouldBlock ? (item.name, decision.matches) : nil
        }
    }
}
