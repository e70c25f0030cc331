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
        let nowhere = try RefusingPort()
        defer { withExtendedLifetime(nowhere) {} }
        try """
            upstreams:
              nowhere: {servers: [127.0.0.1:\(nowhere.port)]}
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
        #expect(try await get(proxy.port, "/before").status == 502, "nothing listens on the upstream's port")
        for _ in 0..<100 where lines(log).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(lines(log).count == 1)
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        #expect(kill(Int32(proxy.pid), SIGUSR1) == 0)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: log) { try await Task.sleep(for: .milliseconds(50)) }
        // 503 while the dead server backs off after /before, 502 once its back-off is over (a slow run).
        #expect([502, 503].contains(try await get(proxy.port, "/after").status))
        for _ in 0..<100 where lines(log).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(lines(log + ".1").count == 1 && lines(log + ".1").first?.contains("\"path\":\"/before\"") == true)
        #expect(lines(log).count == 1 && lines(log).first?.contains("\"path\":\"/after\"") == true)
        #expect(kill(Int32(proxy.pid), 0) == 0, "neither signal ended the process")
    }

    /// A socket listening on a free loopback port, held until the returned descriptor is closed.
    static func occupiedPort() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw RawHTTPConnection.Failure.connect(errno) }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test(arguments: ["RAMPART_LISTEN", "RAMPART_ADMIN_LISTEN"])
    func aTakenPortEndsStartWithAClearError(variable: String) async throws {
        let rules = try RulesFixture()
        try "upstreams:\n  a: {servers: [127.0.0.1:1]}\nroutes:\n  - {path_prefix: /, upstream: a}\nrules: \(rules.root)\n"
            .write(toFile: rules.root + "/rampart.yaml", atomically: true, encoding: .utf8)
        let taken = try Self.occupiedPort()
        defer { close(taken.descriptor) }
        let free = variable == "RAMPART_LISTEN" ? "RAMPART_ADMIN_LISTEN" : "RAMPART_LISTEN"
        let result = try await runProgram("/usr/bin/timeout", [
            "20", "/usr/bin/env", "\(variable)=127.0.0.1:\(taken.port)", "\(free)=127.0.0.1:\(try freePort())",
            CheckCommandTests.binary, "serve", "--config", rules.root + "/rampart.yaml", "--log-level", "warning",
        ])
        #expect(result.status == 1, "rampart exits instead of serving half: \(result.errors)")
        #expect(result.errors.contains("cannot listen on 127.0.0.1:\(taken.port): the address is already in use"), "\(result.errors)")
        #expect(result.errors.contains(variable))
    }
}
