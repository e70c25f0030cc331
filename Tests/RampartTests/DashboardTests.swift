import Foundation
import ServiceKit
import Testing
import TestSupport

/// The dashboard in a real headless browser (Chromium from Debian's packages, which `make test` installs): the
/// figures the page renders from /stats are the figures /stats reports.
@Suite struct DashboardTests {
    static let chromium = "/usr/bin/chromium"

    /// The page's DOM after its scripts ran against the live admin listener.
    static func renderedPage(port: Int) async throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: Self.chromium), "Chromium is missing: `make test` installs it (apt-get install chromium)")
        let result = try await runProgram(Self.chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=" + NSTemporaryDirectory() + "rampart-chromium-" + UUID().uuidString,
            "--virtual-time-budget=3000", "--dump-dom", "http://127.0.0.1:\(port)/",
        ])
        try #require(result.status == 0, "chromium failed: \(result.errors.suffix(2000))")
        return result.output
    }

    /// `data-stat` paths and the text the page shows for each.
    static func figures(_ dom: String) throws -> [String: String] {
        let pattern = try NSRegularExpression(pattern: #"data-stat="([^"]+)"[^>]*>([^<]*)<"#)
        var figures: [String: String] = [:]
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            guard let path = Range(match.range(at: 1), in: dom), let value = Range(match.range(at: 2), in: dom) else { continue }
            figures[String(dom[path])] = String(dom[value])
        }
        return figures
    }

    static func rows(_ dom: String, attribute: String) throws -> [String: String] {
        let pattern = try NSRegularExpression(pattern: attribute + #"="([^"]+)"><td>[^<]*</td><td data-count="">(\d+)</td>"#)
        var rows: [String: String] = [:]
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            guard let key = Range(match.range(at: 1), in: dom), let count = Range(match.range(at: 2), in: dom) else { continue }
            rows[String(dom[key])] = String(dom[count])
        }
        return rows
    }

    static func value(_ stats: JSONValue, _ path: String) -> JSONValue? {
        path.split(separator: ".").reduce(Optional(stats)) { $0?[String($1)] }
    }

    @Test func theRenderedFiguresMatchStats() async throws {
        try await AdminTests.withProxyAndAdmin { proxy, admin in
            for _ in 0..<4 { _ = try await proxy.request("GET /app/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }
            _ = try await proxy.request("GET /app/?id=1%27%20or%201=1-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            for _ in 0..<5 { _ = try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }

            let page = try await admin.request("GET", "/")
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            #expect(!page.text.contains("src=\"http") && !page.text.contains("href=\"http"), "no external assets")

            let dom = try await Self.renderedPage(port: admin.port)
            let stats = try await admin.stats()
            let figures = try Self.figures(dom)
            #expect(figures.count >= 15, "the page rendered its figures: \(figures)")
            for (path, shown) in figures {
                let value = try #require(Self.value(stats, path), "\(path) is not in /stats")
                let expected: String
                if path.hasPrefix("latency_seconds.") {
                    expected = String(format: "%.2f", (value.doubleValue ?? -1) * 1000)
                } else if let string = value.stringValue {
                    expected = string
                } else {
                    expected = String(value.intValue ?? -1)
                }
                #expect(shown == expected, "\(path): the page shows \(shown), /stats says \(expected)")
            }
            #expect(figures["requests.total"] == "10")
            let blocks = try Self.rows(dom, attribute: "data-rule")
            #expect(blocks["190100"] == "1")
            guard case .object(let byRule)? = stats["firewall"]?["blocked"]?["by_rule"] else {
                Issue.record("/stats has no firewall.blocked.by_rule")
                return
            }
            #expect(blocks == byRule.mapValues { String($0.intValue ?? -1) }, "one row per blocking rule, with its count")
            #expect(try Self.rows(dom, attribute: "data-policy") == ["burst-test": "2"])
            #expect(dom.contains("id=\"state\" class=\"ok\">live<"), "the page says it is live")
        }
    }
}
