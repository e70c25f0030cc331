import Foundation
import Logging
@testable import RampartProxy
import ServiceKit
import Testing
import TestSupport

/// The access log: one JSON line per request with what was decided, sampling of allowed requests, and
/// reopening for rotation.
@Suite struct AccessLogTests {
    static func lines(_ path: String) throws -> [JSONValue] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONValue(parsing: Array($0.utf8)) }
    }

    /// The lines in `path` once there are at least `count` (or after five seconds): a request's line is
    /// written on its event loop just after the response's last bytes, so a client can hold the response a
    /// moment before the line exists.
    static func lines(_ path: String, atLeast count: Int, _ log: AccessLogger) async throws -> [JSONValue] {
        for _ in 0..<250 {
            log.sink.flush()
            let lines = FileManager.default.fileExists(atPath: path) ? try Self.lines(path) : []
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try Self.lines(path)
    }

    static func withLoggedProxy(sampleAllowed: Double = 1, _ body: @Sendable (ProxyHarness, AccessLogger, String) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "rampart-access-" + UUID().uuidString + ".log"
        let log = AccessLogger(sink: try AccessLogSink(path: path), sampleAllowed: sampleAllowed)
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let proxy = try await ProxyHarness.start(backendPort: try #require(client.port), accessLog: log)
            do {
                try await body(proxy, log, path)
            } catch {
                try await proxy.stop()
                throw error
            }
            try await proxy.stop()
        }
    }

    @Test func eachRequestIsOneJSONLine() async throws {
        try await Self.withLoggedProxy { proxy, log, path in
            #expect(try await proxy.request("GET /app/ok?secret=1 HTTP/1.1\r\nHost: a\r\nX-Request-ID: r1\r\nConnection: close\r\n\r\n").status == 200)
            #expect(try await proxy.request("GET /app/?id=1%27%20or%201=1-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 403)
            for _ in 0..<4 { _ = try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }
            let lines = try await Self.lines(path, atLeast: 6, log)
            #expect(lines.count == 6)
            let allowed = try #require(lines.first)
            #expect(allowed["method"] == "GET")
            #expect(allowed["path"] == "/app/ok", "the query is left out: it may carry secrets")
            #expect(allowed["status"] == 200)
            #expect(allowed["client"] == "127.0.0.1")
            #expect(allowed["route"] == "default")
            #expect(allowed["request_id"]?.stringValue?.isEmpty == false)
            #expect(allowed["bytes"]?.intValue ?? 0 > 0)
            #expect(allowed["duration_ms"]?.doubleValue != nil)
            #expect(allowed["upstream"]?.stringValue?.hasPrefix("127.0.0.1:") == true)
            #expect(allowed["upstream_ms"]?.doubleValue != nil)
            #expect(allowed["time"]?.stringValue?.hasSuffix("Z") == true)
            #expect(allowed["reason"] == nil)

            let blocked = lines[1]
            #expect(blocked["status"] == 403)
            #expect(blocked["rule_ids"]?.arrayValue?.contains(190100) == true)
            #expect(blocked["reason"] == "the request was blocked by the firewall")
            #expect(blocked["upstream"] == nil, "it never reached a backend")

            let limited = try #require(lines.last)
            #expect(limited["status"] == 429)
            #expect(limited["policy"] == "burst-test")
            #expect(limited["reason"]?.stringValue?.contains("rate limit") == true)
        }
    }

    @Test func allowedRequestsAreSampledAndRejectionsAlwaysLogged() async throws {
        try await Self.withLoggedProxy(sampleAllowed: 0) { proxy, log, path in
            for _ in 0..<5 { #expect(try await proxy.request("GET /app/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200) }
            #expect(try await proxy.request("GET /nowhere HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)
            #expect(try await proxy.request("GET /app/?q=<script>alert(1)</script> HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 403)
            let lines = try await Self.lines(path, atLeast: 1, log)
            #expect(lines.map { $0["status"] } == [403])
        }
    }

    @Test func reopenFollowsARotation() async throws {
        try await Self.withLoggedProxy { proxy, log, path in
            _ = try await proxy.request("GET /app/one HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            _ = try await Self.lines(path, atLeast: 1, log)
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            try log.sink.reopen()
            _ = try await proxy.request("GET /app/two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(try await Self.lines(path, atLeast: 1, log).map { $0["path"] } == ["/app/two"])
            #expect(try Self.lines(path + ".1").map { $0["path"] } == ["/app/one"])
        }
    }

    @Test func theHandlerWritesNumbersAsNumbersAndSortsKeys() {
        let line = AccessLogHandler.line(
            message: "",
            metadata: ["status": .stringConvertible(403), "duration_ms": .stringConvertible(1.5), "path": .string("/a\"b"),
                       "rule_ids": .array([.stringConvertible(1), .stringConvertible(2)])],
            time: (seconds: 1_764_095_400, milliseconds: 7)
        )
        #expect(String(decoding: line, as: UTF8.self) == #"{"duration_ms":1.5,"path":"/a\"b","rule_ids":[1,2],"status":403,"time":"2025-11-25T18:30:00.007Z"}"# + "\n")
    }

    /// The proxy logs each request as one ``AccessLogEntry``, which the handler writes directly; the line must
    /// be the one the handler writes for the same fields given as separate metadata, byte for byte, whichever
    /// fields a request has.
    @Test func anEntrysLineIsTheLineOfItsFields() {
        let time = (seconds: 1_764_095_400, milliseconds: 42)
        let full = AccessLogEntry(
            method: "POST", path: "/a\"b\u{1}c/é", status: 429, bytes: 1234, durationMicroseconds: 0, requestID: "r-1", client: "2001:db8::1",
            route: "api", upstream: "127.0.0.1:9001", upstreamMicroseconds: 2_050, ruleIDs: [942100, 7], policy: "per-client", reason: "rate limit"
        )
        let bare = AccessLogEntry(method: "-", path: "-", status: 502, bytes: 0, durationMicroseconds: 0)
        for base in [full, bare] {
            for status in [200, 429, -1] {
                for microseconds in [0, 5, 20, 72, 100, 1_000, 1_500, 1_672, 999_999, 123_456_789] as [Int64] {
                    let entry = AccessLogEntry(
                        method: base.method, path: base.path, status: status, bytes: base.bytes, durationMicroseconds: microseconds,
                        requestID: base.requestID, client: base.client, route: base.route, upstream: base.upstream,
                        upstreamMicroseconds: base.upstreamMicroseconds, ruleIDs: base.ruleIDs, policy: base.policy, reason: base.reason
                    )
                    let expected = AccessLogHandler.line(message: "", metadata: entry.metadata, time: time)
                    #expect(String(decoding: AccessLogLine.encode(entry, time: time), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
                }
            }
        }
    }

    /// Through a `Logger`: the proxy's one-key event is written from the entry; with metadata of the handler's
    /// own, the entry's fields are merged with it, the general way.
    @Test func theHandlerWritesEntriesAloneOrMergedWithItsMetadata() throws {
        let path = NSTemporaryDirectory() + "rampart-access-" + UUID().uuidString + ".log"
        let sink = try AccessLogSink(path: path)
        let entry = AccessLogEntry(method: "GET", path: "/x", status: 403, bytes: 10, durationMicroseconds: 1_500, ruleIDs: [1], reason: "blocked")
        let alone = Logger(label: "a") { _ in AccessLogHandler(sink: sink) }
        alone.info("", metadata: [AccessLogEntry.metadataKey: .stringConvertible(entry)])
        var tagged = Logger(label: "b") { _ in AccessLogHandler(sink: sink) }
        tagged[metadataKey: "node"] = "edge-1"
        tagged.info("", metadata: [AccessLogEntry.metadataKey: .stringConvertible(entry)])
        sink.flush()
        let lines = try Self.lines(path)
        #expect(lines.count == 2)
        #expect(lines.first?["duration_ms"]?.doubleValue == 1.5)
        #expect(lines.first?["rule_ids"]?.arrayValue?.count == 1)
        #expect(lines.first?["node"] == nil)
        #expect(lines.last?["node"] == "edge-1")
        #expect(lines.last?["reason"] == "blocked")
        #expect(lines.last?[AccessLogEntry.metadataKey] == nil, "the entry is written as its fields, not as one member")
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func failedWritesAreCountedNotFatal() async throws {
        // /dev/full accepts the open and fails every write with ENOSPC, as a full disk does.
        let log = AccessLogger(sink: try AccessLogSink(path: "/dev/full"))
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let proxy = try await ProxyHarness.start(backendPort: try #require(client.port), accessLog: log)
            for _ in 0..<3 { #expect(try await proxy.request("GET /app/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200) }
            // Each line is written just after its response: wait (five seconds at most) for the third.
            for _ in 0..<250 where log.sink.droppedLines < 3 {
                log.sink.flush()
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(log.sink.droppedLines == 3)
            let status = await proxy.server.status()
            #expect(status.accessLog?.droppedLines == 3)
            #expect(status.accessLog?.path == "/dev/full")
            try await proxy.stop()
        }
    }

    @Test func anUnwritableLogPathIsAClearError() {
        let error = #expect(throws: AccessLogError.self) { try AccessLogSink(path: "/nonexistent-dir/access.log") }
        #expect(error?.description.contains("/nonexistent-dir/access.log: No such file or directory") == true)
    }
}
