import NIOCore
import NIOHTTP1
import ProxyCore
import Testing

@Suite struct ClientRequestParserTests {
    /// What the parser made of some input.
    struct Outcome {
        var heads: [ClientRequestHead] = []
        var bodies: [String] = []
        var ends = 0
        var leftover = ""
        var stopped = false

        mutating func record(_ event: ClientRequestParser.Event) {
            switch event {
            case .head(let head):
                self.heads.append(head)
                self.bodies.append("")
            case .body(let buffer):
                self.bodies[self.bodies.count - 1] += String(buffer: buffer)
            case .end:
                self.ends += 1
            }
        }
    }

    /// Feeds `pieces` one after another, as separate reads.
    static func run(_ pieces: [String], maxHeadBytes: Int = 32 * 1024) throws(ClientRequestError) -> Outcome {
        var parser = ClientRequestParser(maxHeadBytes: maxHeadBytes)
        var outcome = Outcome()
        for piece in pieces {
            var buffer = ByteBuffer(string: piece)
            while let event = try parser.next(&buffer) {
                outcome.record(event)
            }
            outcome.leftover += String(buffer: buffer)
        }
        outcome.stopped = parser.hasStopped
        return outcome
    }

    /// The same input, one byte per read.
    static func runBytewise(_ text: String) throws(ClientRequestError) -> Outcome {
        try Self.run(text.utf8.map { String(decoding: [$0], as: UTF8.self) })
    }

    static func error(_ text: String, maxHeadBytes: Int = 32 * 1024) -> ClientRequestError? {
        do {
            _ = try Self.run([text], maxHeadBytes: maxHeadBytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsAHeadWithoutBuildingItsFields() throws {
        let text = "GET /shop/items?id=7 HTTP/1.1\r\nHost: shop.test:8080\r\nX-Tag: one\r\nx-tag:  two \r\nAccept: */*\r\n\r\n"
        for outcome in [try Self.run([text]), try Self.runBytewise(text)] {
            let head = try #require(outcome.heads.first)
            #expect(outcome.heads.count == 1 && outcome.ends == 1 && outcome.leftover.isEmpty)
            #expect(head.method == .GET)
            #expect(head.uri == "/shop/items?id=7")
            #expect(head.path == "/shop/items")
            #expect(head.version == .http1_1)
            #expect(head.keepAlive)
            #expect(!head.hasBody && !head.expectsContinue && !head.asksUpgrade)
            #expect(head.first(name: "host") == "shop.test:8080")
            #expect(head.values(name: "x-tag") == ["one", "two"])
            #expect(head.first(name: "cookie") == nil)
            #expect(head.fieldList.map(\.name) == ["Host", "X-Tag", "x-tag", "Accept"])
        }
    }

    @Test func methodsVersionsAndConnections() throws {
        let other = try #require(try Self.run(["PURGE /a HTTP/1.1\r\nConnection: close\r\n\r\n"]).heads.first)
        #expect(other.method == .RAW(value: "PURGE"))
        #expect(!other.keepAlive)
        let old = try #require(try Self.run(["HEAD / HTTP/1.0\r\n\r\n"]).heads.first)
        #expect(old.method == .HEAD && old.version == .http1_0 && !old.keepAlive)
        let oldKept = try #require(try Self.run(["GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"]).heads.first)
        #expect(oldKept.keepAlive)
        let expecting = try #require(try Self.run(["PUT /a HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n"]).heads.first)
        #expect(expecting.expectsContinue)
        #expect(expecting.framing == .length(3))
    }

    @Test func pipelinedRequestsWithBodiesComeApart() throws {
        let text = "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "\r\nGET /c HTTP/1.1\r\n\r\n"
        for outcome in [try Self.run([text]), try Self.runBytewise(text)] {
            #expect(outcome.heads.map(\.uri) == ["/a", "/b", "/c"])
            #expect(outcome.heads.map(\.path) == ["/a", "/b", "/c"], "a target without a query is all path")
            #expect(outcome.heads.map(\.framing) == [.length(5), .chunked, .none])
            #expect(outcome.bodies == ["hello", "hello world", ""], "chunk framing, extensions and trailers are not body")
            #expect(outcome.ends == 3)
            #expect(outcome.leftover.isEmpty)
        }
    }

    @Test func bytesAfterAProtocolSwitchAreLeftUnread() throws {
        let text = "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}frame"
        let outcome = try Self.run([text, "more"])
        #expect(outcome.heads.first?.asksUpgrade == true)
        #expect(outcome.ends == 1)
        #expect(outcome.stopped)
        #expect(outcome.leftover == "\u{81}\u{05}framemore")
        let notAnUpgrade = try #require(try Self.run(["GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"]).heads.first)
        #expect(!notAnUpgrade.asksUpgrade, "Upgrade without Connection: upgrade is not a request to switch")
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", "method"),
        ("GET /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "both Content-Length and Transfer-Encoding"),
        ("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "one decimal number"),
        ("POST /a HTTP/1.1\r\nContent-Length: +5\r\n\r\n", "one decimal number"),
        ("POST /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", "one decimal number"),
        ("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"),
        ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n", "unsupported Transfer-Encoding"),
        ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "unsupported Transfer-Encoding"),
        ("GET /a HTTP/1.1\r\nX-Folded: one\r\n two\r\n\r\n", "folded"),
        ("GET /a HTTP/1.1\r\nBad Header: x\r\n\r\n", "field name"),
        ("GET /a HTTP/1.1\r\n: x\r\n\r\n", "field name"),
        ("GET /a HTTP/1.1\r\nX-A: a\rb\r\n\r\n", "stray CR"),
        ("GET /a HTTP/1.1\nHost: a\n\n", "bare LF"),
        ("GET /a HTTP/2.0\r\n\r\n", "only HTTP/1.0 and HTTP/1.1"),
        ("GET /a HTTP/1.1 \r\n\r\n", "only HTTP/1.0 and HTTP/1.1"),
        ("GET /a\u{01}b HTTP/1.1\r\n\r\n", "control character"),
        ("GET  /a HTTP/1.1\r\n\r\n", "target"),
        ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", "hex"),
        ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "CRLF"),
    ] as [(String, String)])
    func refusesWhatCouldBeReadTwoWays(request: String, reason: String) throws {
        let error = try #require(Self.error(request))
        #expect(error.status == 400)
        #expect(error.description.contains(reason), "\(error.description)")
    }

    @Test func acceptsRepeatedEqualLengthsAndCodingsBeforeChunked() throws {
        #expect(try Self.run(["POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"]).bodies == ["ok"])
        #expect(try Self.run(["POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"]).heads.first?.framing == .chunked)
        #expect(try Self.run(["POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n"]).heads.first?.framing == ClientRequestHead.Framing.none)
    }

    /// What a parse came to, comparable across ways of feeding the same bytes.
    struct Summary: Equatable {
        var uris: [String]
        var bodies: [String]
        var ends: Int
        var leftover: String
        var error: ClientRequestError?
    }

    static func summary(_ pieces: [String]) -> Summary {
        var parser = ClientRequestParser(maxHeadBytes: 4096)
        var outcome = Outcome()
        var leftover = ""
        do {
            for piece in pieces {
                var buffer = ByteBuffer(string: leftover + piece)
                while let event = try parser.next(&buffer) { outcome.record(event) }
                leftover = String(buffer: buffer)
            }
        } catch {
            return Summary(uris: outcome.heads.map(\.uri), bodies: outcome.bodies, ends: outcome.ends, leftover: "", error: error)
        }
        return Summary(uris: outcome.heads.map(\.uri), bodies: outcome.bodies, ends: outcome.ends, leftover: leftover, error: nil)
    }

    /// Pipelines of valid and broken requests, each cut into reads at random places, come to what they come to in
    /// one read: the parser's state carries every boundary (a head's end, a chunk size, a CRLF, a trailer).
    @Test func howTheBytesAreSplitIntoReadsChangesNothing() {
        let pipelines = [
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"
                + "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
                + "\r\nHEAD /d HTTP/1.0\r\n\r\nGET /e HTTP/1.1\r\n\r\n",
            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            "GET /a HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\u{01}\u{02}hi GET /b HTTP/1.1\r\n\r\n",
            "GET /a HTTP/1.1\r\nX-Long: " + String(repeating: "v", count: 5000) + "\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: x\n\r\n",
        ]
        var generator = SystemRandomNumberGenerator()
        for text in pipelines {
            let whole = Self.summary([text])
            let bytes = Array(text.utf8)
            for _ in 0..<200 {
                var cuts = (0..<Int.random(in: 1...8, using: &generator)).map { _ in Int.random(in: 0...bytes.count, using: &generator) }
                cuts = ([0] + cuts.sorted() + [bytes.count])
                let pieces = zip(cuts, cuts.dropFirst()).map { String(decoding: bytes[$0..<$1], as: UTF8.self) }
                #expect(Self.summary(pieces) == whole, "cut at \(cuts) in \(text.prefix(60).debugDescription)")
            }
        }
        #expect(Self.summary([pipelines[0]]).uris == ["/a", "/b", "/c", "/d", "/e"])
        #expect(Self.summary([pipelines[1]]).error?.description.contains("folded") == true)
        #expect(Self.summary([pipelines[2]]).error?.description.contains("CRLF") == true)
        #expect(Self.summary([pipelines[3]]).leftover == "\u{01}\u{02}hi GET /b HTTP/1.1\r\n\r\n", "after a protocol switch nothing is parsed")
        #expect(Self.summary([pipelines[4]]).error?.status == 431)
        #expect(Self.summary([pipelines[5]]).error?.description.contains("bare LF") == true)
    }

    @Test func aHeadKeepsItsFieldsWhileTheParserReadsTheNextOnes() throws {
        var parser = ClientRequestParser(maxHeadBytes: 4096)
        var buffer = ByteBuffer(string: "GET /a HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\nGET /b HTTP/1.1\r\nC: 3\r\n\r\nGET /c HTTP/1.1\r\nD: 4\r\n\r\n")
        var heads: [ClientRequestHead] = []
        while let event = try parser.next(&buffer) {
            if case .head(let head) = event { heads.append(head) }
        }
        // The parser fills a spent head's field list again; a head still held keeps its own.
        #expect(heads.map { $0.fieldList.map(\.name) } == [["A", "B"], ["C"], ["D"]])
        #expect(heads.map { $0.first(name: "a") } == ["1", nil, nil])
    }

    @Test func aHeadLargerThanTheLimitIs431WhetherItEndedOrNot() throws {
        let big = "GET /a HTTP/1.1\r\nX-Big: " + String(repeating: "b", count: 2000) + "\r\n\r\n"
        #expect(Self.error(big, maxHeadBytes: 1024)?.status == 431)
        #expect(Self.error(String(big.prefix(1500)), maxHeadBytes: 1024)?.status == 431, "an unfinished head is refused once it is too large")
        #expect(Self.error(big, maxHeadBytes: 4096) == nil)
    }
}
