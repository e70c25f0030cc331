import NIOHTTP1
import NetworkAddress
import ProxyCore
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
    static func headers(_ pairs: [(String, String)]) -> HTTPHeaders { HTTPHeaders(pairs) }

    @Test func dropsHopByHopAndNamedConnectionFields() {
        let input = Self.headers([
            ("Host", "shop.test"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"), ("Trailer", "X"), ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic x"), ("Accept", "*/*"),
        ])
        let resolution = ClientAddressResolver.Resolution(client: "192.0.2.1", forwardedFor: "192.0.2.1", peerTrusted: false)
        let (output, id) = ForwardedHeaders(addForwarded: true).rewrite(input, resolution: resolution, tunnel: false) { "generated" }
        for name in ["connection", "x-secret", "keep-alive", "te", "trailer", "upgrade", "proxy-authorization"] {
            #expect(!output.contains(name: name), "\(name) must not be forwarded")
        }
        #expect(output["accept"] == ["*/*"])
        #expect(output["x-forwarded-for"] == ["192.0.2.1"])
        #expect(output["x-real-ip"] == ["192.0.2.1"])
        #expect(output["x-forwarded-host"] == ["shop.test"])
        #expect(output["x-forwarded-proto"] == ["http"])
        #expect(output["x-request-id"] == ["generated"])
        #expect(output["forwarded"] == ["for=192.0.2.1;proto=http;host=\"shop.test\""])
        #expect(id == "generated")
    }

    @Test func keepsATrustedPeersForwardingFieldsAndReplacesAnUntrustedOnes() {
        let input = Self.headers([("Host", "h"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "public.example"), ("X-Request-ID", "abc"), ("X-Forwarded-For", "1.1.1.1")])
        let trusted = ClientAddressResolver.Resolution(client: "1.1.1.1", forwardedFor: "1.1.1.1, 10.0.0.1", peerTrusted: true)
        let (kept, keptID) = ForwardedHeaders(addForwarded: false).rewrite(input, resolution: trusted, tunnel: false) { "new" }
        #expect(kept["x-forwarded-proto"] == ["https"])
        #expect(kept["x-forwarded-host"] == ["public.example"])
        #expect(kept["x-forwarded-for"] == ["1.1.1.1, 10.0.0.1"])
        #expect(keptID == "abc")

        let untrusted = ClientAddressResolver.Resolution(client: "9.9.9.9", forwardedFor: "9.9.9.9", peerTrusted: false)
        let (replaced, replacedID) = ForwardedHeaders(addForwarded: false).rewrite(input, resolution: untrusted, tunnel: false) { "new" }
        #expect(replaced["x-forwarded-proto"] == ["http"])
        #expect(replaced["x-forwarded-host"] == ["h"])
        #expect(replaced["x-request-id"] == ["new"])
        #expect(replacedID == "new")
    }

    @Test func aTunnelKeepsUpgrade() {
        let input = Self.headers([("Host", "h"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k")])
        let resolution = ClientAddressResolver.Resolution(client: "1.1.1.1", forwardedFor: "1.1.1.1", peerTrusted: false)
        let (output, _) = ForwardedHeaders(addForwarded: false).rewrite(input, resolution: resolution, tunnel: true) { "id" }
        #expect(output["upgrade"] == ["websocket"])
        #expect(output["connection"] == ["upgrade"])
        #expect(output["sec-websocket-key"] == ["k"])
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

@Suite struct RequestHeadValidatorTests {
    static func head(_ pairs: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/", headers: HTTPHeaders(pairs))
    }

    @Test(arguments: [
        ([("Content-Length", "5"), ("Transfer-Encoding", "chunked")], "both Content-Length and Transfer-Encoding"),
        ([("Content-Length", "5"), ("Content-Length", "6")], "one decimal number"),
        ([("Content-Length", "+5")], "one decimal number"),
        ([("Transfer-Encoding", "gzip")], "unsupported Transfer-Encoding"),
        ([("Transfer-Encoding", "chunked, identity")], "unsupported Transfer-Encoding"),
        ([("X-Folded", "a\r\n b")], "line break"),
    ] as [([(String, String)], String)])
    func refuses(headers: [(String, String)], reason: String) throws {
        let violation = try #require(RequestHeadValidator.validate(Self.head(headers)))
        #expect(violation.description.contains(reason))
    }

    @Test func accepts() {
        #expect(RequestHeadValidator.validate(Self.head([("Content-Length", "5"), ("Content-Length", "5")])) == nil)
        #expect(RequestHeadValidator.validate(Self.head([("Transfer-Encoding", "gzip, chunked")])) == nil)
        #expect(RequestHeadValidator.validate(Self.head([("Host", "a")])) == nil)
    }
}

@Suite struct RequestIDGeneratorTests {
    @Test func prefixAndCounter() {
        var generator = RequestIDGenerator(prefix: 0x3f9c)
        #expect(generator.next() == "0000000000003f9c-0001")
        #expect(generator.next() == "0000000000003f9c-0002")
        var other = RequestIDGenerator()
        #expect(Set((0..<1000).map { _ in other.next() }).count == 1000)
    }

    @Test func counterGrowsPastFourDigits() {
        var generator = RequestIDGenerator(prefix: 0xfedc_ba98_7654_3210)
        for _ in 0..<0xffff { _ = generator.next() }
        #expect(generator.next() == "fedcba9876543210-10000")
        #expect(generator.next() == "fedcba9876543210-10001")
    }
}
