import Foundation
import Logging
import ProxyCore
import RampartProxy
import ServiceKit
import Testing
import TestSupport

/// Live reload under continuous load: rule files are changed, broken and fixed while clients send requests
/// over keep-alive connections. No request may fail, and each change must apply within a second.
///
/// One test at a time: each loads the whole rule set at start and on every reload, and two siblings doing so on
/// this 2-core machine's other core stretched a reload past the second now and then.
@Suite(.serialized) struct LiveReloadTests {
    /// Clients on Dispatch threads, each on one keep-alive connection, recording every status with the time its
    /// request was sent: a request keeps the rules it started with, so phases are told apart by send time.
    final class Load: Sendable {
        let results = Locked<[(time: Date, status: Int)]>([])
        let failures = Locked<[String]>([])
        let running = Locked(true)

        func start(port: Int, clients: Int, path: String) {
            for _ in 0..<clients {
                Thread.detachNewThread {
                    do {
                        let connection = try RawHTTPConnection(port: port)
                        while self.running.withLock({ $0 }) {
                            let sent = Date()
                            connection.send("GET \(path) HTTP/1.1\r\nHost: load\r\n\r\n")
                            let response = try connection.readResponse()
                            self.results.withLock { $0.append((sent, response.status)) }
                            if response.header("connection") == "close" {
                                self.failures.withLock { $0.append("the proxy closed a keep-alive connection after \(response.status)") }
                                return
                            }
                        }
                    } catch {
                        self.failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }

        /// Waits until a request sent after `since` is answered with `status`; returns when it was sent.
        func waitFor(status: Int, after since: Date, timeout: Double = 10) async throws -> Date? {
            let end = Date().addingTimeInterval(timeout)
            while Date() < end {
                if let hit = self.results.withLock({ $0.first { $0.time > since && $0.status == status } }) { return hit.time }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        func statuses(after since: Date) -> [Int] {
            self.results.withLock { $0.filter { $0.time > since }.map(\.status) }
        }
    }

    static let canaryRule = """
        rules:
          - id: 990001
            message: the test's canary
            tags: [test]
            targets: [args]
            operator: contains
            argument: canary
            action: deny
        """

    /// When the proxy's rule set stops being `version` (polled every 10 ms), and the new version.
    static func swap(of proxy: ProxyHarness, from version: String, timeout: Double = 10) async -> (time: Date, version: String)? {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let now = proxy.server.rulesVersion
            if now != version { return (Date(), now) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test func rulesChangeBreakAndRecoverUnderLoadWithoutAFailedRequest() async throws {
        let rules = try RulesFixture()
        try await AdminTests.withProxyAndAdmin(rulesDirectory: rules.root) { proxy, admin in
            let watcher = RulesWatcher(root: rules.root, pollInterval: 0.5, logger: Logger(label: "test-watcher")) {
                proxy.server.reloadBlocking(trigger: .watch)
            }
            watcher.start()
            defer { watcher.stop() }
            let load = Load()
            load.start(port: proxy.port, clients: 3, path: "/app/probe?q=canary")
            defer { load.running.withLock { $0 = false } }
            _ = try #require(try await load.waitFor(status: 200, after: .distantPast), "the load never got through")
            #expect(Set(load.statuses(after: .distantPast)) == [200])

            // Change: a new rule file blocks the canary. The swap is timed by watching the rule set's version
            // (clients that wait on slow responses would time it late); every request sent after it is blocked.
            let added = Date()
            let original = proxy.server.rulesVersion
            try rules.write("firewall/canary.yaml", Self.canaryRule)
            let swappedIn = try #require(await Self.swap(of: proxy, from: original), "the new rule never applied")
            #expect(swappedIn.time.timeIntervalSince(added) < 1.0, "applied \(swappedIn.time.timeIntervalSince(added)) s after the change")
            _ = try #require(try await load.waitFor(status: 403, after: swappedIn.time), "no request met the new rule")
            #expect(Set(load.statuses(after: swappedIn.time)) == [403])

            // Break: an invalid file is refused, and the rules in use keep serving.
            let broken = Date()
            try rules.write("firewall/zz-broken.yaml", "rules:\n  - id: 990002\n    message: unfinished\n    targets: [args\n")
            var reload: JSONValue?
            for _ in 0..<100 {
                reload = try await admin.stats()["rules"]?["last_reload"]
                if reload?["result"] == "failed" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(reload?["result"] == "failed")
            #expect(reload?["trigger"] == "watch")
            #expect(reload?["error"]?.stringValue?.contains("zz-broken.yaml:") == true, "the error names file:line: \(String(describing: reload))")
            try await Task.sleep(for: .milliseconds(300))
            #expect(Set(load.statuses(after: broken)) == [403], "the canary rule is still in force")

            // Fix: remove the broken file and the canary; requests pass again.
            try rules.remove("firewall/zz-broken.yaml")
            // The fixed set exists once the canary is gone too: the change is timed from then.
            let fixed = Date()
            try rules.remove("firewall/canary.yaml")
            let swappedBack = try #require(await Self.swap(of: proxy, from: swappedIn.version), "the fix never applied")
            #expect(swappedBack.time.timeIntervalSince(fixed) < 1.0, "applied \(swappedBack.time.timeIntervalSince(fixed)) s after the change")
            _ = try #require(try await load.waitFor(status: 200, after: swappedBack.time), "no request passed after the fix")
            #expect(Set(load.statuses(after: swappedBack.time)) == [200])
            #expect(try await admin.stats()["rules"]?["last_reload"]?["result"] == "ok")

            try await Task.sleep(for: .milliseconds(200))
            load.running.withLock { $0 = false }
            try await Task.sleep(for: .milliseconds(200))
            #expect(load.failures.withLock { $0 }.isEmpty, "every request was answered: \(load.failures.withLock { $0 })")
            let all = load.statuses(after: .distantPast)
            #expect(all.count > 30, "the load kept going (\(all.count) requests)")
            #expect(Set(all).isSubset(of: [200, 403]), "only the rules decided: \(Set(all))")
        }
    }

    @Test func aRequestInFlightFinishesWithTheRulesItStartedWith() async throws {
        let rules = try RulesFixture()
        try await AdminTests.withProxyAndAdmin(rulesDirectory: rules.root) { proxy, _ in
            let port = proxy.port
            let head = "POST /app/form HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\n\r\n"
            let server = proxy.server
            let (reloaded, first) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send(head)
                // The head is in; now a body rule arrives that would block this body.
                Thread.sleep(forTimeInterval: 0.2)
                try rules.write("firewall/canary.yaml", """
                    rules:
                      - {id: 990003, message: body canary, phase: request_body, targets: [args], operator: contains, argument: canary, action: deny}
                    """)
                let reloaded = server.reloadBlocking(trigger: .api).succeeded
                connection.send("q=canary-bodyX\n")
                return (reloaded, try connection.readResponse())
            }
            #expect(reloaded)
            #expect(first.status == 200, "the request started before the reload is judged by the rules it started with")
            let second = try await proxy.request(head.replacingOccurrences(of: "HTTP/1.1\r\n", with: "HTTP/1.1\r\nConnection: close\r\n") + "q=canary-bodyX\n")
            #expect(second.status == 403, "a request after the reload meets the new rule")
        }
    }

    @Test func aConfigMapStyleSwapIsSeen() async throws {
        // Kubernetes mounts a ConfigMap as links into a hidden, timestamped directory and swaps `..data`.
        let root = NSTemporaryDirectory() + "rampart-configmap-" + UUID().uuidString
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/..2026_01", withIntermediateDirectories: true)
        try "first".write(toFile: root + "/..2026_01/sqli.yaml", atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: root + "/..data", withDestinationPath: "..2026_01")
        try manager.createSymbolicLink(atPath: root + "/sqli.yaml", withDestinationPath: "..data/sqli.yaml")

        let changes = Locked(0)
        let watcher = RulesWatcher(root: root, pollInterval: 0.5, logger: Logger(label: "test-watcher")) { changes.withLock { $0 += 1 } }
        watcher.start()
        defer { watcher.stop() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(changes.withLock { $0 } == 0, "nothing changed yet")

        try manager.createDirectory(atPath: root + "/..2026_02", withIntermediateDirectories: true)
        try "second".write(toFile: root + "/..2026_02/sqli.yaml", atomically: true, encoding: .utf8)
        try manager.createSymbolicLink(atPath: root + "/..data_tmp", withDestinationPath: "..2026_02")
        #expect(rename(root + "/..data_tmp", root + "/..data") == 0)
        for _ in 0..<50 where changes.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(changes.withLock { $0 } == 1, "the swap of ..data changes what sqli.yaml resolves to")
    }
}
