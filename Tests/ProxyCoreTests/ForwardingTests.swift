import NIOCore
import NetworkAddress
@testable import ProxyCore
import Testing

@Suite struct ClientAddressResolverTests {
    let resolver = ClientAddressResolver(trusted: [try! CIDRBlock(parsing: "10.0.0.0/8"), try! CIDRBlock(parsing: "2001:db8::/32")])

    @Test func anUntrustedPeerCannotSpoof() {
        let resolution = self.resolver.resolve(peer: "198.51.100.7", chain: ["1.2.3.4"])
        #expect(resolution == .init(client: "198.51.100.7", forwardedFor: "198.51.100.7", peerTrusted: false))
    }

    @Test func aTrustedPeerChainIsKeptAndTheRightmostUntrustedHopIsTheClient() {
        let resolution = self.resolver.resolve(peer: "10.0.0.2", chain: ["1.2.3.4, 203.0.113.9", " 10.0.0.9 "])
        #expect(resolution.client == "203.0.113.9")
        #expect(resolution.forwardedFor == "1.2.3.4, 203.0.113.9, 10.0.0.9, 10.0.0.2")
        #expect(resolution.peerTrusted)
    }

    @Test func allTrustedMeansTheLeftmostAndNoChainMeansThePeer() {
        #expect(self.resolver.resolve(peer: "10.0.0.2", chain: ["10.1.1.1, 2001:db8::5"]).client == "10.1.1.1")
        #expect(self.resolver.resolve(peer: "10.0.0.2", chain: []).client == "10.0.0.2")
        #expect(self.resolver.resolve(peer: "::ffff:10.0.0.2", chain: ["192.0.2.1"]).client == "192.0.2.1", "IPv4-mapped peers match IPv4 networks")
    }
}

@Suite struct ForwardedHeadersTests {
    /// The parser found no complete head in a test's text.
    struct NoHead: Error {
        let text: String
    }

    /// The head a client sent.
    static func head(_ fields: [(String, String)], requestLine: String = "GET /shop/a?b=1 HTTP/1.1") throws -> ClientRequestHead {
        let text = requestLine + "\r\n" + fields.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
        var parser = ClientRequestParser(maxHeadBytes: 64 * 1024)
        var buffer = ByteBuffer(string: text)
        guard case .head(let head) = try parser.next(&buffer) else { throw NoHead(text: text) }
        return head
    }

    /// What the backend gets: the rewritten head as text, and as parsed again.
    static func forward(
        _ head: ClientRequestHead, target: String = "/a?b=1", resolution: ClientAddressResolver.Resolution, addForwarded: Bool = false,
        tunnel: Bool = false, requestID: ProxyRequestID = Self.made
    ) throws -> (text: String, head: ClientRequestHead, requestID: String) {
        let rewriter = ForwardedHeaders(addForwarded: addForwarded)
        let kept = rewriter.keptRequestID(head, resolution: resolution)
        var buffer = ByteBuffer()
        rewriter.write(head, target: target, resolution: resolution, tunnel: tunnel, addRequestID: kept == nil ? requestID : nil, into: &buffer)
        let text = String(buffer: buffer)
        var parser = ClientRequestParser(maxHeadBytes: 64 * 1024)
        guard case .head(let forwarded) = try parser.next(&buffer) else { throw NoHead(text: text) }
        return (text, forwarded, (kept ?? requestID).description)
    }

    /// An id the proxy made.
    static let made = ProxyRequestID.made(prefix: 0xab, counter: 0x12345)

    static let untrusted = ClientAddressResolver.Resolution(client: "192.0.2.1", forwardedFor: "192.0.2.1", peerTrusted: false)

    @Test func dropsHopByHopAndNamedConnectionFields() throws {
        let input = try Self.head([
            ("Host", "shop.test"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"), ("Trailer", "X"), ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic x"), ("Accept", "*/*"),
            ("X-Forwarded-For", "6.6.6.6"), ("X-Real-IP", "6.6.6.6"), ("Forwarded", "for=6.6.6.6"),
        ])
        let (_, output, id) = try Self.forward(input, resolution: Self.untrusted, addForwarded: true)
        for name in ["x-secret", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization"] as [StaticString] {
            #expect(output.values(name: name).isEmpty, "\(name) must not be forwarded")
        }
        #expect(output.values(name: "connection") == ["keep-alive"], "the proxy's own, for its pooled connection")
        #expect(output.values(name: "accept") == ["*/*"])
        #expect(output.values(name: "x-forwarded-for") == ["192.0.2.1"])
        #expect(output.values(name: "x-real-ip") == ["192.0.2.1"])
        #expect(output.values(name: "x-forwarded-host") == ["shop.test"])
        #expect(output.values(name: "x-forwarded-proto") == ["http"])
        #expect(output.values(name: "x-request-id") == ["00000000000000ab-12345"])
        #expect(output.values(name: "forwarded") == ["for=192.0.2.1;proto=http;host=\"shop.test\""])
        #expect(id == "00000000000000ab-12345")
    }

    @Test func keepsATrustedPeersForwardingFieldsAndReplacesAnUntrustedOnes() throws {
        let input = try Self.head([
            ("Host", "h"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "public.example"), ("X-Request-ID", "abc"),
            ("X-Forwarded-For", "1.1.1.1"),
        ])
        let trusted = ClientAddressResolver.Resolution(client: "1.1.1.1", forwardedFor: "1.1.1.1, 10.0.0.1", peerTrusted: true)
        let (_, kept, keptID) = try Self.forward(input, resolution: trusted)
        #expect(kept.values(name: "x-forwarded-proto") == ["https"])
        #expect(kept.values(name: "x-forwarded-host") == ["public.example"])
        #expect(kept.values(name: "x-forwarded-for") == ["1.1.1.1, 10.0.0.1"])
        #expect(kept.values(name: "x-request-id") == ["abc"])
        #expect(keptID == "abc")

        let untrusted = ClientAddressResolver.Resolution(client: "9.9.9.9", forwardedFor: "9.9.9.9", peerTrusted: false)
        let (_, replaced, replacedID) = try Self.forward(input, resolution: untrusted)
        #expect(replaced.values(name: "x-forwarded-proto") == ["http"])
        #expect(replaced.values(name: "x-forwarded-host") == ["h"])
        #expect(replaced.values(name: "x-request-id") == [Self.made.description])
        #expect(replacedID == Self.made.description)
    }

    @Test func aTunnelKeepsUpgrade() throws {
        let input = try Self.head([("Host", "h"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k")])
        #expect(input.asksUpgrade)
        let (_, output, _) = try Self.forward(input, resolution: Self.untrusted, tunnel: true)
        #expect(output.values(name: "upgrade") == ["websocket"])
        #expect(output.values(name: "connection") == ["upgrade"])
        #expect(output.values(name: "sec-websocket-key") == ["k"])
        #expect(output.asksUpgrade)
    }

    /// The head is written into room reserved from the received head's size and the added values' sizes; a
    /// write past it would stop the process. Every value here is as long as it gets: a long host written twice
    /// (X-Forwarded-Host and Forwarded), a target longer than the one received, a long kept id and chain.
    @Test func theRoomReservedHoldsTheLongestAdditions() throws {
        let host = String(repeating: "h", count: 2_000) + ".test"
        let id = String(repeating: "i", count: 500)
        let input = try Self.head([("Host", host), ("X-Request-ID", id)], requestLine: "GET / HTTP/1.1")
        let chain = (1...50).map { "10.0.0.\($0)" }.joined(separator: ", ")
        let trusted = ClientAddressResolver.Resolution(client: "2001:db8::1", forwardedFor: chain + ", 2001:db8::1", peerTrusted: true)
        let target = "/" + String(repeating: "p", count: 3_000)
        let (text, output, keptID) = try Self.forward(input, target: target, resolution: trusted, addForwarded: true, tunnel: true)
        #expect(text.hasPrefix("GET \(target) HTTP/1.1\r\n"))
        #expect(output.values(name: "x-forwarded-host") == [host])
        #expect(output.values(name: "x-forwarded-for") == [chain + ", 2001:db8::1"])
        #expect(output.values(name: "forwarded") == ["for=\"[2001:db8::1]\";proto=http;host=\"\(host)\""])
        #expect(output.values(name: "x-request-id") == [id])
        #expect(keptID == id)
        #expect(text.hasSuffix("Connection: upgrade\r\n\r\n"))
    }

    @Test func fieldLinesPassThroughAsSentAndTheRequestLineIsTheBackends() throws {
        let input = try Self.head(
            [("x-CUSTOM", "  spaced  value "), ("Expect", "100-continue"), ("Content-Length", "3"), ("Cookie", "a=1; b=2")],
            requestLine: "POST /shop/a?b=1 HTTP/1.0"
        )
        let (text, output, _) = try Self.forward(input, target: "/a?b=1", resolution: Self.untrusted)
        #expect(text.hasPrefix("POST /a?b=1 HTTP/1.1\r\nx-CUSTOM:   spaced  value \r\n"), "\(text)")
        #expect(output.values(name: "expect").isEmpty, "the proxy answers 100-continue itself")
        #expect(output.framing == .length(3))
        #expect(output.values(name: "cookie") == ["a=1; b=2"])
        #expect(text.hasSuffix("Connection: keep-alive\r\n\r\n"))
    }
}

@Suite struct ServerSelectorTests {
    @Test func roundRobinSkipsFailedServersUntilTheirBackoffEnds() {
        var selector = ServerSelector(count: 3, backoff: 5)
        #expect([selector.pick(now: 0), selector.pick(now: 0), selector.pick(now: 0), selector.pick(now: 0)] == [0, 1, 2, 0])
        selector.failed(1, now: 10)
        #expect([selector.pick(now: 11), selector.pick(now: 11), selector.pick(now: 11)] == [2, 0, 2])
        #expect(!selector.isHealthy(1, now: 14.9))
        #expect(selector.isHealthy(1, now: 15))
        #expect(selector.pick(now: 15) == 0)
        #expect(selector.pick(now: 15) == 1)
    }

    @Test func excludingAndAllDown() {
        var selector = ServerSelector(count: 2, backoff: 5)
        #expect(selector.pick(now: 0, excluding: 0) == 1)
        selector.failed(0, now: 0)
        selector.failed(1, now: 0)
        #expect(selector.pick(now: 1) == nil)
        selector.succeeded(1)
        #expect(selector.pick(now: 1) == 1)
    }
}

@Suite struct RequestIDGeneratorTests {
    @Test func prefixAndCounter() {
        var generator = RequestIDGenerator(prefix: 0x3f9c)
        #expect(generator.next().description == "0000000000003f9c-0001")
        #expect(generator.next().description == "0000000000003f9c-0002")
        var other = RequestIDGenerator()
        #expect(Set((0..<1000).map { _ in other.next().description }).count == 1000)
    }

    @Test func anIdWritesTheTextItDescribes() {
        for id in [ProxyRequestID.made(prefix: 0x3f9c, counter: 7), .made(prefix: .max, counter: 0x1_0000_0000), .kept("from-upstream")] {
            var buffer = ByteBuffer(string: "X-Request-ID: ")
            // Room for exactly the id: a longer write would stop the process.
            HeadWriter.write(into: &buffer, capacity: id.utf8Count) { id.write(into: &$0) }
            #expect(String(buffer: buffer) == "X-Request-ID: \(id)")
            #expect(id.utf8Count == id.description.utf8.count)
        }
        #expect(ProxyRequestID.made(prefix: .max, counter: 0x1_0000_0000).description == "ffffffffffffffff-100000000")
    }

    @Test func counterGrowsPastFourDigits() {
        var generator = RequestIDGenerator(prefix: 0xfedc_ba98_7654_3210)
        for _ in 0..<0xffff { _ = generator.next() }
        #expect(generator.next().description == "fedcba9876543210-10000")
        #expect(generator.next().description == "fedcba9876543210-10001")
    }
}
