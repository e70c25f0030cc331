import Foundation
import ServiceKit
import Testing
import TestSupport

/// `rampart serve` as an operator runs it: SIGHUP reloads the rules, SIGUSR1 reopens the access log after a
/// rotation, and the admin listener reports both.
@Suite struct ServeSignalsTests {
    @Test func sighupReloadsAndSigusr1ReopensTheAccessLog() async throws {
        let rules = try RulesFixture()
        let log = rules.root + "/../rampart-access-\(UUID().uuidString).log"
        let adminPort = try freePort()
        let listenPort = try freePort()
        try """
            upstreams:
              nowhere: {servers: [127.0.0.1:\(try freePort())]}
            routes:
              - {path_prefix: /, upstream: nowhere}
            rules: \(rules.root)
            reload: {watch: false}
            access_log: {path: \(log)}
            """.write(toFile: rules.root + "/rampart.yaml", atomically: true, encoding: .utf8)
        let proxy = try ChildProcess(CheckCommandTests.binary, arguments: { _ in
            ["serve", "--config", rules.root + "/rampart.yaml", "--threads", "1", "--log-level", "warning"]
        }, environment: ["RAMPART_LISTEN": "127.0.0.1:\(listenPort)", "RAMPART_ADMIN_LISTEN": "127.0.0.1:\(adminPort)"], port: listenPort)
        defer { proxy.kill() }
        try await proxy.ready()
        try await waitForPort(adminPort)

        func get(_ port: Int, _ path: String) async throws -> RawHTTPConnection.Response {
            try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                return try connection.readResponse()
            }
        }
        func lastReload() async throws -> JSONValue? {
            try JSONValue(parsing: try await get(adminPort, "/stats").body)["rules"]?["last_reload"]
        }
        func lines(_ path: String) -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        // SIGHUP: the rules reload, as `systemctl reload` asks.
        #expect(try await lastReload() == .null)
        #expect(kill(Int32(proxy.pid), SIGHUP) == 0)
        var reload: JSONValue?
        for _ in 0..<100 {
            reload = try await lastReload()
            if reload != .null { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(reload?["trigger"] == "signal")
        #expect(reload?["result"] == "ok")

        // SIGUSR1: after the log is moved away, new lines go to a new file of the same name.
        #expect(try await get(proxy.port, "/before").status == 502)
        for _ in 0..<100 where lines(log).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(lines(log).count == 1)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        #expect(kill(Int32(proxy.pid), SIGUSR1) == 0)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await get(proxy.port, "/after").status == 503, "the dead server is backing off after /before")
        for _ in 0..<100 where lines(log).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(lines(log + ".1").count == 1 && lines(log + ".1").first?.contains("\"path\":\"/before\"") == true)
        #expect(lines(log).count == 1 && lines(log).first?.contains("\"path\":\"/after\"") == true)
        #expect(kill(Int32(proxy.pid), 0) == 0, "neither signal ended the process")
    }
}
