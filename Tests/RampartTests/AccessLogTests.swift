import Foundation
import Logging
import NIOCore
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

    /// The proxy writes its lines without swift-log; they must be the lines the handler writes for the same
    /// fields, byte for byte, whichever fields a request has.
    @Test func theProxysLinesAreTheHandlersLines() {
        let time = (seconds: 1_764_095_400, milliseconds: 42)
        var full = RequestRecord(started: .now(), method: "POST", path: "/a\"b\u{1}c/é")
        full.requestID = "r-1"
        full.client = "2001:db8::1"
        full.route = "api"
        full.ruleIDs = [942100, 7]
        full.policy = "per-client"
        full.upstream = "127.0.0.1:9001"
        full.upstreamLatency = .microseconds(2_050)
        let bare = RequestRecord(started: .now(), method: "-", path: "-")
        for (record, status, reason) in [(full, 429, "rate limit" as String?), (full, 200, "ignored below 400"), (bare, 502, nil), (bare, -1, "x")] {
            for microseconds in [0, 5, 20, 72, 100, 1_000, 1_500, 1_672, 999_999, 123_456_789] as [Int64] {
                let duration = TimeAmount.microseconds(microseconds)
                var metadata: Logger.Metadata = [
                    "method": .string(record.method), "path": .string(record.path), "status": .stringConvertible(status),
                    "bytes": .stringConvertible(1234), "duration_ms": .stringConvertible(Double(duration.nanoseconds / 1000) / 1000),
                ]
                if let value = record.requestID { metadata["request_id"] = .string(value) }
                if let value = record.client { metadata["client"] = .string(value) }
                if let value = record.route { metadata["route"] = .string(value) }
                if let value = record.upstream { metadata["upstream"] = .string(value) }
                if let value = record.upstreamLatency { metadata["upstream_ms"] = .stringConvertible(Double(value.nanoseconds / 1000) / 1000) }
                if !record.ruleIDs.isEmpty { metadata["rule_ids"] = .array(record.ruleIDs.map { .stringConvertible($0) }) }
                if let value = record.policy { metadata["policy"] = .string(value) }
                if status >= 400, let reason { metadata["reason"] = .string(reason) }
                let expected = AccessLogHandler.line(message: "", metadata: metadata, time: time)
                let line = AccessLogLine.encode(record, status: status, bytes: 1234, reason: reason, duration: duration, time: time)
                #expect(String(decoding: line, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            }
        }
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
