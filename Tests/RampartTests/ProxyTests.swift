import Foundation
import NIOCore
import NIOPosix
import ProxyCore
import ServiceKit
import ServiceKitTesting
import Testing
import TestSupport

/// The proxy end to end over loopback: a real client socket, the proxy, a ServiceKit backend.
@Suite struct ProxyTests {
    /// Runs `body` with an echo backend and a proxy in front of it.
    static func withProxy(
        trusted: [String] = [],
        configure: @escaping @Sendable (inout ProxyConfig) -> Void = { _ in },
        _ body: @Sendable (ProxyHarness, Locked<Int>) async throws -> Void
    ) async throws {
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let proxy = try await ProxyHarness.start(backendPort: try #require(client.port), trusted: trusted, configure: configure)
            do {
                try await body(proxy, seen)
            } catch {
                try await proxy.stop()
                throw error
            }
            try await proxy.stop()
        }
    }

    static func json(_ response: RawHTTPConnection.Response) throws -> JSONValue {
        try JSONValue(parsing: response.body)
    }

    @Test func forwardsAndSetsForwardingHeadersForAnUntrustedPeer() async throws {
        try await Self.withProxy { proxy, seen in
            let response = try await proxy.request(
                "GET /app/items?x=1 HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-Request-ID: spoofed\r\nConnection: close\r\n\r\n"
            )
            #expect(response.status == 200)
            let echo = try Self.json(response)
            #expect(echo["path"] == "/app/items")
            #expect(echo["query"] == "x=1")
            let headers = try #require(echo["headers"])
            #expect(headers["x-forwarded-for"] == "127.0.0.1", "an untrusted peer's chain is replaced")
            #expect(headers["x-real-ip"] == "127.0.0.1")
            #expect(headers["x-forwarded-host"] == "shop.test")
            #expect(headers["x-forwarded-proto"] == "http")
            #expect(headers["x-request-id"] != "spoofed")
            #expect(headers["x-request-id"]?.stringValue?.count == 21, "16 hex digits, a dash, a counter")
            #expect(headers["connection"] == "keep-alive")
            #expect(seen.withLock { $0 } == 1)
        }
    }

    @Test func keepsTheChainOfATrustedPeer() async throws {
        try await Self.withProxy(trusted: ["127.0.0.0/8"]) { proxy, _ in
            let response = try await proxy.request(
                "GET /app HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1\r\nX-Request-ID: abc-123\r\nConnection: close\r\n\r\n"
            )
            let headers = try #require(try Self.json(response)["headers"])
            #expect(headers["x-forwarded-for"] == "203.0.113.9, 10.0.0.1, 127.0.0.1")
            #expect(headers["x-real-ip"] == "10.0.0.1", "the rightmost untrusted hop is the client")
            #expect(headers["x-request-id"] == "abc-123")
        }
    }

    @Test func anAttackGetsA403AndNeverReachesTheBackend() async throws {
        try await Self.withProxy { proxy, seen in
            let response = try await proxy.request("GET /app/search?q=1%27+UNION+SELECT+password+FROM+users-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(response.status == 403)
            #expect(response.header("Content-Type") == "application/json")
            let body = try Self.json(response)
            #expect(body["code"] == 403)
            #expect(body["message"] == "403 Forbidden: the request was blocked by the firewall")
            guard case .array(let ruleIDs)? = body["rule_ids"] else { throw RawHTTPConnection.Failure.malformed("no rule_ids") }
            #expect(ruleIDs.contains(190110))
            #expect(body["request_id"]?.stringValue?.isEmpty == false)

            let comment = #"{"text": "<script>alert(document.cookie)</script>"}"#
            let post = try await proxy.request(
                "POST /app/comments HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(comment.utf8.count)\r\nConnection: close\r\n\r\n\(comment)"
            )
            #expect(post.status == 403)
            #expect(seen.withLock { $0 } == 0)
        }
    }

    @Test func aBurstGets429sWithRetryAfterAndRateLimitFields() async throws {
        try await Self.withProxy { proxy, seen in
            var statuses: [Int] = []
            var rejected: RawHTTPConnection.Response?
            for _ in 0..<5 {
                let response = try await proxy.request("GET /burst HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                statuses.append(response.status)
                if response.status == 429 { rejected = response }
            }
            #expect(statuses == [200, 200, 200, 429, 429])
            let response = try #require(rejected)
            #expect(Int(response.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(response.headers.filter { $0.name.lowercased() == "retry-after" }.count == 1, "one Retry-After field")
            #expect(response.header("RateLimit-Policy") == "\"burst-test\";q=1;w=60")
            #expect(response.header("RateLimit")?.hasPrefix("\"burst-test\";r=0;t=") == true)
            let body = try Self.json(response)
            #expect(body["code"] == 429)
            #expect(body["policy"] == "burst-test")
            #expect((body["retry_after"]?.intValue ?? 0) >= 1)
            #expect(seen.withLock { $0 } == 3)
        }
    }

    /// A policy keyed on a header field: the proxy hands the limiter the request's fields only when a policy
    /// reads one, so this is the path that needs them.
    @Test func aPolicyKeyedOnAHeaderCountsEachKeyApart() async throws {
        try await Self.withProxy { proxy, _ in
            var statuses: [Int] = []
            for key in ["k1", "k1", "k2", "k2", nil, nil] {
                let field = key.map { "X-Api-Key: \($0)\r\n" } ?? ""
                statuses.append(try await proxy.request("GET /keyed HTTP/1.1\r\nHost: a\r\n\(field)Connection: close\r\n\r\n").status)
            }
            #expect(statuses == [200, 429, 200, 429, 200, 200], "a request without the key is not limited (missing: skip)")
        }
    }

    @Test func errorsAreJSON() async throws {
        try await Self.withProxy { proxy, _ in
            let dead = try await proxy.request("GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(dead.status == 502)
            #expect(try Self.json(dead)["code"] == 502)
            // The proxy is still up.
            #expect(try await proxy.request("GET /app HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)

            let hostRoute = try await proxy.request("GET /dead/not HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n")
            #expect(hostRoute.status == 200, "a host route beats the /dead path route")
        }
    }

    @Test(arguments: [
        "GARBAGE\r\n\r\n",
        "GET /app HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /app HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST /app HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nxxxx",
        "GET /app HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
        "GET /app HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
    ])
    func malformedAndSmugglingAttemptsGet400(request: String) async throws {
        try await Self.withProxy { proxy, seen in
            let response = try await proxy.request(request)
            #expect(response.status == 400, "\(request.debugDescription)")
            #expect(try Self.json(response)["code"] == 400)
            #expect(seen.withLock { $0 } == 0)
        }
    }

    @Test func keepAlivePipeliningHeadAnd204() async throws {
        try await Self.withProxy { proxy, seen in
            let port = proxy.port
            let (first, second, third, fourth, closed) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET /app/one HTTP/1.1\r\nHost: a\r\n\r\nHEAD /app/two HTTP/1.1\r\nHost: a\r\n\r\nGET /empty HTTP/1.1\r\nHost: a\r\n\r\n")
                let first = try connection.readResponse()
                let second = try connection.readResponse(bodyless: true)
                let third = try connection.readResponse()
                connection.send("GET /app/four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                let fourth = try connection.readResponse()
                return (first, second, third, fourth, connection.isClosedByPeer())
            }
            #expect(try Self.json(first)["path"] == "/app/one")
            #expect(second.status == 200)
            #expect(third.status == 204)
            #expect(try Self.json(fourth)["path"] == "/app/four")
            #expect(closed)
            #expect(seen.withLock { $0 } == 3, "HEAD counts, 204 is not the echo route")
        }
    }

    @Test func pipelinedRequestsBeyondAHeadsWorthAreAllAnsweredInOrder() async throws {
        try await Self.withProxy { proxy, seen in
            let port = proxy.port
            let count = 400
            let paths = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                // About 260 KB in four writes, before reading any response: more than the proxy holds unparsed (a
                // head's worth), so it stops reading and must start again as responses go out.
                let padding = String(repeating: "p", count: 600)
                for batch in 0..<4 {
                    let range = batch * count / 4..<(batch + 1) * count / 4
                    connection.send(range.map { "GET /app/\($0) HTTP/1.1\r\nHost: a\r\nX-Pad: \(padding)\r\n\r\n" }.joined())
                }
                return try (0..<count).map { _ in try connection.readResponse() }.map { try Self.json($0)["path"] }
            }
            #expect(paths == (0..<count).map { .string("/app/\($0)") })
            #expect(seen.withLock { $0 } == count)
        }
    }

    @Test func bodiesChunkedAndExpectContinue() async throws {
        try await Self.withProxy { proxy, _ in
            let chunked = try await proxy.request(
                "POST /app/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
            #expect(try Self.json(chunked)["body_bytes"] == 11)

            let port = proxy.port
            let (interim, final) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("PUT /app/doc HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
                let interim = try connection.readResponse()
                connection.send("data")
                return (interim, try connection.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
            let echo = try Self.json(final)
            #expect(echo["body_bytes"] == 4)
            #expect(echo["headers"]?["expect"] == nil)
        }
    }

    @Test func stripsThePrefixAndStreamsLargeResponses() async throws {
        try await Self.withProxy { proxy, _ in
            let stripped = try await proxy.request("GET /api/v1/items HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(try Self.json(stripped)["path"] == "/v1/items")
            let big = try await proxy.request("GET /big/5000000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(big.status == 200)
            #expect(big.body.count == 5_000_000)
        }
    }

    @Test func aFlaskBackendKilledMidTestGives502AndTheProxyStaysUp() async throws {
        let flask = try ChildProcess("python3", arguments: { [peerScript("flask_backend.py"), String($0)] })
        try await flask.ready()
        let flaskPort = flask.port
        try await Self.withProxy(configure: { config in
            var flask = ProxyConfig.Upstream(name: "flask", servers: [ProxyConfig.Address(host: "127.0.0.1", port: flaskPort)])
            flask.failureBackoff = 120  // the 503 check below must fall inside the back-off however slow the run
            config.upstreams.append(flask)
            config.routes.insert(ProxyConfig.Route(name: "flask", pathPrefix: "/flask", upstream: "flask"), at: 0)
        }) { proxy, _ in
            let alive = try await proxy.request("GET /flask/hello HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n")
            #expect(alive.status == 200)
            let echo = try Self.json(alive)
            #expect(echo["path"] == "/flask/hello")
            #expect(echo["headers"]?["X-Forwarded-For"] == "127.0.0.1", "Flask sees the peer, not the spoofed chain")
            #expect(echo["headers"]?["X-Real-Ip"] == "127.0.0.1")

            flask.kill()
            let dead = try await proxy.request("GET /flask/hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(dead.status == 502)
            #expect(try Self.json(dead)["code"] == 502)
            let backoff = try await proxy.request("GET /flask/again HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(backoff.status == 503, "the failed server is skipped during its back-off")
            #expect(try await proxy.request("GET /app HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)
        }
    }

    @Test func slowHeadsGet408AndOversizedBodies413() async throws {
        try await Self.withProxy(configure: { config in
            config.headerTimeout = 0.3
            config.maxInspectedBody = 1000
        }) { proxy, seen in
            let port = proxy.port
            let slow = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET /app HTTP/1.1\r\nHost: a\r\n")
                return try connection.readResponse()
            }
            #expect(slow.status == 408)
            #expect(try Self.json(slow)["code"] == 408)
            let huge = try await proxy.request("GET /app HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n")
            #expect(huge.status == 431)
            let body = String(repeating: "a", count: 5000)
            let large = try await proxy.request("POST /app HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n\(body)")
            #expect(large.status == 413)
            #expect(seen.withLock { $0 } == 0)
        }
    }

    /// Without firewall rules nothing inspects a body: it goes to the backend as it arrives, whatever its size,
    /// where with rules one beyond the inspected size is refused (above).
    @Test func withoutFirewallRulesBodiesAreNotHeldForInspection() async throws {
        let rules = try RulesFixture()
        try rules.remove("firewall")
        try FileManager.default.createDirectory(atPath: rules.root + "/firewall", withIntermediateDirectories: true)
        let seen = Locked(0)
        try await EchoBackend.make(seen: seen).withLiveClient { client in
            let proxy = try await ProxyHarness.start(backendPort: try #require(client.port), rulesDirectory: rules.root) { config in
                config.maxInspectedBody = 1000
            }
            let body = String(repeating: "a", count: 5000)
            let large = try await proxy.request(
                "POST /app HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n\(body)"
            )
            let attack = try await proxy.request("GET /app?q=%27%20or%201=1-- HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            try await proxy.stop()
            #expect(large.status == 200)
            #expect(try Self.json(large)["body_bytes"] == 5000)
            #expect(attack.status == 200, "no rule to block it")
            #expect(seen.withLock { $0 } == 2)
        }
    }

    /// A proxy whose `/ws` route goes to the raw-socket peer upgrade_echo.py.
    static func withUpgradePeer(_ body: @Sendable (ProxyHarness) async throws -> Void) async throws {
        let backend = try ChildProcess("python3", arguments: { [peerScript("upgrade_echo.py"), String($0)] })
        try await backend.ready()
        let backendPort = backend.port
        try await Self.withProxy(configure: { config in
            config.upstreams.append(ProxyConfig.Upstream(name: "ws", servers: [ProxyConfig.Address(host: "127.0.0.1", port: backendPort)]))
            config.routes.insert(ProxyConfig.Route(name: "ws", pathPrefix: "/ws", upstream: "ws"), at: 0)
        }) { proxy, _ in
            try await body(proxy)
        }
    }

    @Test func aWebSocketUpgradeIsTunnelled() async throws {
        try await Self.withUpgradePeer { proxy in
            let port = proxy.port
            let (switched, echoed) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send(
                    "GET /ws/chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )
                let switched = try connection.readResponse(bodyless: true)
                connection.send("hello through the tunnel")
                return (switched, try connection.readBytes(count: 24))
            }
            #expect(switched.status == 101)
            #expect(switched.header("Upgrade") == "websocket")
            #expect(switched.header("X-Seen-Forwarded-For") == "127.0.0.1")
            #expect(String(decoding: echoed, as: UTF8.self) == "HELLO THROUGH THE TUNNEL")
        }
    }

    @Test func bytesSentWithTheUpgradeRequestReachTheBackendOnceTheTunnelOpens() async throws {
        try await Self.withUpgradePeer { proxy in
            let port = proxy.port
            let (switched, early, later) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                // The first frame rides with the request: the proxy holds it until the backend agrees to switch.
                connection.send("GET /ws/chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly words")
                let switched = try connection.readResponse(bodyless: true)
                let early = try connection.readBytes(count: 11)
                connection.send("later")
                return (switched, early, try connection.readBytes(count: 5))
            }
            #expect(switched.status == 101)
            #expect(String(decoding: early, as: UTF8.self) == "EARLY WORDS")
            #expect(String(decoding: later, as: UTF8.self) == "LATER")
        }
    }

    @Test func hopByHopResponseHeadersAreDropped() async throws {
        try await Self.withUpgradePeer { proxy in
            let response = try await proxy.request("GET /ws/hop HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "ok")
            #expect(response.header("X-Kept") == "yes")
            for name in ["Keep-Alive", "X-Secret", "Proxy-Connection", "Trailer"] {
                #expect(response.header(name) == nil, "\(name) is hop-by-hop (X-Secret because Connection names it)")
            }
            #expect(response.header("Connection") == "close", "the proxy's own Connection for this client")
        }
    }

    @Test func responsesPassThroughByteForByteAndAreUnwrappedForHTTP10() async throws {
        try await Self.withUpgradePeer { proxy in
            let port = proxy.port
            let (hints, chunked, old, oldClosed) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET /ws/chunked HTTP/1.1\r\nHost: a\r\n\r\n")
                let hints = try connection.readResponse()
                let chunked = try connection.readResponse()
                let old = try RawHTTPConnection(port: port)
                old.send("GET /ws/chunked HTTP/1.0\r\nHost: a\r\n\r\n")
                return (hints, chunked, try old.readResponse(), old.isClosedByPeer())
            }
            #expect(hints.status == 103)
            #expect(hints.header("Link") == "</style.css>; rel=preload")
            #expect(chunked.status == 200)
            #expect(chunked.header("Transfer-Encoding") == "chunked")
            #expect(chunked.text == "hello world")
            #expect(old.status == 200, "an HTTP/1.0 client gets no interim response and no chunks")
            #expect(old.header("Transfer-Encoding") == nil)
            #expect(old.text == "hello world")
            #expect(oldClosed, "the end of an unwrapped body is the close")
        }
    }

    @Test func aBodyEndedByTheBackendsCloseArrivesWholeInPieces() async throws {
        try await Self.withUpgradePeer { proxy in
            let response = try await proxy.request("GET /ws/trickle HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain")
            #expect(response.text == "first second third")
            #expect(response.header("Connection") == "close", "without a length, the client learns the end by the close")
        }
    }

    @Test func aMalformedBackendResponseGivesA502() async throws {
        try await Self.withUpgradePeer { proxy in
            let response = try await proxy.request("GET /ws/broken HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(response.status == 502)
            #expect(try Self.json(response)["description"]?.stringValue?.contains("malformed response") == true)
            #expect(await proxy.server.status().traffic.upstreamErrors[.malformed] == 1)
        }
    }

    @Test func anIdempotentRequestIsRetriedOnAnotherServerAndTheDeadOneIsSkipped() async throws {
        let deadPort = try RefusingPort()
        defer { withExtendedLifetime(deadPort) {} }
        try await Self.withProxy(configure: { config in
            guard let live = config.upstreams.first?.servers.first else { return }
            var pair = ProxyConfig.Upstream(name: "pair", servers: [ProxyConfig.Address(host: "127.0.0.1", port: deadPort.port), live])
            pair.failureBackoff = 120  // long enough that a slow, busy test run cannot outlast it
            config.upstreams.append(pair)
            config.routes.insert(ProxyConfig.Route(name: "pair", pathPrefix: "/pair", upstream: "pair"), at: 0)
        }) { proxy, seen in
            let retried = try await proxy.request("GET /pair/a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(retried.status == 200, "the GET went to the dead server first, then to the live one")
            let body = #"{"x":1}"#
            for _ in 0..<3 {
                let post = try await proxy.request("POST /pair/b HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                #expect(post.status == 200, "the dead server is backing off, so it is not tried")
            }
            #expect(seen.withLock { $0 } == 4)
        }
    }

    /// A server given by its IP address is connected to directly, one given by name through the resolver: both
    /// reach the backend.
    @Test func serversByAddressAndByNameAreBothReached() async throws {
        try await Self.withProxy(configure: { config in
            guard let live = config.upstreams.first?.servers.first else { return }
            config.upstreams.append(ProxyConfig.Upstream(name: "named", servers: [ProxyConfig.Address(host: "localhost", port: live.port)]))
            config.routes.insert(ProxyConfig.Route(name: "named", pathPrefix: "/named", upstream: "named"), at: 0)
        }) { proxy, seen in
            let byAddress = try await proxy.request("GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(byAddress.status == 200)
            let byName = try await proxy.request("GET /named/b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(byName.status == 200, "localhost resolves to the backend's loopback address")
            #expect(seen.withLock { $0 } == 2)
        }
    }

    @Test func pooledConnectionsAreReusedAndClosedWhenIdleTooLong() async throws {
        try await Self.withProxy(configure: { config in
            // Long enough that a busy test run does not close the connection between two requests.
            config.upstreams[0].idleTimeout = 2
        }) { proxy, _ in
            var idleSince = ContinuousClock.now
            for _ in 0..<3 {
                // Taken before the request: the connection goes idle after it, however late this task resumes on a
                // busy machine. Taken after, a full-suite run once saw the close 1.28 s later, most likely because
                // the task resumed late.
                idleSince = ContinuousClock.now
                #expect(try await proxy.request("GET /app HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)
            }
            #expect(try await proxy.server.idleUpstreamConnections() == 1, "three requests in a row share one upstream connection")
            var idle = 1
            while idle > 0, ContinuousClock.now - idleSince < .seconds(10) {
                try await Task.sleep(for: .milliseconds(100))
                idle = try await proxy.server.idleUpstreamConnections()
            }
            #expect(idle == 0, "the idle connection is closed")
            #expect(ContinuousClock.now - idleSince >= .seconds(1.5), "not long before its idle timeout")
        }
    }

    @Test func aPooledConnectionTheBackendClosesLeavesThePool() async throws {
        // The backend's connections, which the test closes once the proxy has pooled its connection.
        let accepted = Locked<[any Channel]>([])
        let backend = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                accepted.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(KeepAliveBackend()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(backend.localAddress?.port)
        try await Self.withProxy(configure: { config in
            var closing = ProxyConfig.Upstream(name: "closing", servers: [ProxyConfig.Address(host: "127.0.0.1", port: port)])
            closing.idleTimeout = 60
            config.upstreams.append(closing)
            config.routes.insert(ProxyConfig.Route(name: "closing", pathPrefix: "/closing", upstream: "closing"), at: 0)
        }) { proxy, _ in
            #expect(try await proxy.request("GET /closing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").status == 200)
            #expect(try await proxy.server.idleUpstreamConnections() == 1, "the keep-alive connection went to the pool")
            for channel in accepted.withLock({ $0 }) { try await channel.close() }
            let pooledAt = ContinuousClock.now
            var idle = 1
            while idle > 0, ContinuousClock.now - pooledAt < .seconds(10) {
                try await Task.sleep(for: .milliseconds(50))
                idle = try await proxy.server.idleUpstreamConnections()
            }
            #expect(idle == 0, "the pool forgot the connection when the backend closed it, long before its 60 s idle timeout")
        }
        try await backend.close()
    }

    @Test func aNotModifiedResponseHasNoBodyAndTheConnectionGoesOn() async throws {
        try await Self.withProxy { proxy, _ in
            let port = proxy.port
            let (first, second) = try await offloaded {
                let connection = try RawHTTPConnection(port: port)
                connection.send("GET /not-modified HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n\r\nGET /app/next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                return (try connection.readResponse(), try connection.readResponse())
            }
            #expect(first.status == 304)
            #expect(first.body.isEmpty)
            #expect(try Self.json(second)["path"] == "/app/next")
        }
    }

    @Test func connectionsBeyondTheLimitAreRefused() async throws {
        try await Self.withProxy(configure: { config in config.maxConnections = 1 }) { proxy, _ in
            let port = proxy.port
            let (refused, served) = try await offloaded {
                let first = try RawHTTPConnection(port: port)
                first.send("GET /app/a HTTP/1.1\r\nHost: a\r\n\r\n")
                _ = try first.readResponse()
                let second = try RawHTTPConnection(port: port, timeout: 3)
                let refused = second.isClosedByPeer()
                first.send("GET /app/b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                return (refused, try first.readResponse())
            }
            #expect(refused, "a second connection is closed while the first is open")
            #expect(served.status == 200, "the first connection is still served")
        }
    }
}

/// A backend that answers each request with a keep-alive 200 and leaves the connection open.
private final class KeepAliveBackend: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var received = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        self.received += buffer.readString(length: buffer.readableBytes) ?? ""
        guard self.received.contains("\r\n\r\n") else { return }
        self.received = ""
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")), promise: nil)
    }
}
