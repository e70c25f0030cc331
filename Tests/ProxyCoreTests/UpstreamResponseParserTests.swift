import NIOCore
import NIOHTTP1
import ProxyCore
import Testing

@Suite struct UpstreamResponseParserTests {
    /// What the parser made of some input.
    struct Outcome {
        var heads: [UpstreamResponseHead] = []
        var body = ""
        var ends = 0
        var leftover = ""
        var bodyBytes = 0
    }

    /// Feeds `pieces` one after another, as separate reads.
    static func run(_ pieces: [String], toHEAD: Bool = false, unwrap: Bool = false, closeAtEnd: Bool = false) throws -> Outcome {
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: toHEAD, unwrapChunks: unwrap)
        var outcome = Outcome()
        for piece in pieces {
            var buffer = ByteBuffer(string: piece)
            while let event = try parser.next(&buffer) {
                outcome.record(event)
            }
            outcome.leftover += String(buffer: buffer)
        }
        if closeAtEnd, let event = parser.inputClosed() { outcome.record(event) }
        outcome.bodyBytes = parser.bodyBytes
        return outcome
    }

    /// The same input, one byte per read.
    static func runBytewise(_ text: String, toHEAD: Bool = false, unwrap: Bool = false) throws -> Outcome {
        try Self.run(text.utf8.map { String(decoding: [$0], as: UTF8.self) }, toHEAD: toHEAD, unwrap: unwrap)
    }

    static func forwarded(_ head: UpstreamResponseHead, version: HTTPVersion = .http1_1, extra: [(name: String, value: String)] = [], connection: StaticString? = nil) -> String {
        var buffer = ByteBuffer()
        head.write(version: version, extraFields: extra, connection: connection, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func aResponseWithALengthIsForwardedWithoutItsHopByHopFields() throws {
        let response = "HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 5\r\nX-Kept: yes\r\n\r\nhello"
        let outcome = try Self.run([response])
        let head = try #require(outcome.heads.first)
        #expect(head.status == 200)
        #expect(head.framing == .length(5))
        #expect(head.keepAlive)
        #expect(outcome.body == "hello")
        #expect(outcome.ends == 1)
        #expect(
            Self.forwarded(head, version: .http1_0, extra: [("RateLimit", "\"api\";r=9;t=1")], connection: "keep-alive")
                == "HTTP/1.0 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\nX-Kept: yes\r\nRateLimit: \"api\";r=9;t=1\r\nConnection: keep-alive\r\n\r\n"
        )
        #expect(try Self.runBytewise(response).body == "hello", "a head and body split into one-byte reads")
    }

    /// The head is written into room reserved from the received head's size and the added fields' sizes; a write
    /// past it would stop the process. The shortest head the backend can send gets the most added to it.
    @Test func theShortestHeadHoldsEveryAddedField() throws {
        let head = try #require(try Self.run(["HTTP/1.1 204 No Content\r\n\r\n"]).heads.first)
        let extra = [("RateLimit-Policy", "\"api\";q=100;w=60"), ("RateLimit", "\"api\";r=99;t=60"), ("X-A", "")]
        #expect(
            Self.forwarded(head, version: .http1_0, extra: extra, connection: "keep-alive")
                == "HTTP/1.0 204 No Content\r\nRateLimit-Policy: \"api\";q=100;w=60\r\nRateLimit: \"api\";r=99;t=60\r\nX-A: \r\n"
                + "Connection: keep-alive\r\n\r\n"
        )
    }

    @Test func aChunkedBodyPassesWithItsFramingAndEndsAfterItsTrailers() throws {
        let body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Checksum: 42\r\n\r\n"
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body
        for outcome in [try Self.run([response]), try Self.runBytewise(response)] {
            #expect(outcome.heads.first?.framing == .chunked)
            #expect(outcome.body == body)
            #expect(outcome.bodyBytes == 15)
            #expect(outcome.ends == 1)
        }
    }

    @Test func aChunkedBodyIsUnwrappedForAnHTTP10Client() throws {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        for outcome in [try Self.run([response], unwrap: true), try Self.runBytewise(response, unwrap: true)] {
            #expect(outcome.body == "hello world")
            #expect(outcome.ends == 1)
            let head = try #require(outcome.heads.first)
            #expect(!head.keepAlive, "both a length and a coding: the connection is not reused")
            #expect(Self.forwarded(head, version: .http1_0, connection: "close") == "HTTP/1.0 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\n")
        }
    }

    @Test func responsesWithoutBodies() throws {
        let head = try Self.run(["HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"], toHEAD: true)
        #expect(head.heads.first?.framing == UpstreamResponseHead.Framing.none)
        #expect(head.ends == 1)
        for status in ["204 No Content", "304 Not Modified"] {
            let outcome = try Self.run(["HTTP/1.1 \(status)\r\nContent-Length: 7\r\n\r\n"])
            #expect(outcome.ends == 1)
            #expect(outcome.body.isEmpty)
        }
    }

    @Test func interimResponsesComeBeforeTheFinalOne() throws {
        let outcome = try Self.run(["HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"])
        #expect(outcome.heads.map(\.status) == [103, 100, 201])
        #expect(outcome.heads.map(\.isInterim) == [true, true, false])
        #expect(outcome.body == "ok")
        #expect(outcome.ends == 1)
    }

    @Test func aProtocolSwitchLeavesTheRestForTheTunnel() throws {
        var parser = UpstreamResponseParser()
        parser.expectResponse(toHEAD: false, unwrapChunks: false)
        var buffer = ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nFRAME")
        guard case .head(let head) = try parser.next(&buffer) else {
            Issue.record("no head")
            return
        }
        guard case .end = try parser.next(&buffer) else {
            Issue.record("no end")
            return
        }
        #expect(parser.hasSwitchedProtocols)
        #expect(try parser.next(&buffer) == nil)
        #expect(String(buffer: buffer) == "FRAME")
        #expect(Self.forwarded(head) == "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "the handshake fields stay")
    }

    @Test func aBodyWithoutLengthRunsUntilTheConnectionCloses() throws {
        let outcome = try Self.run(["HTTP/1.0 200 OK\r\n\r\nsome", " more"], closeAtEnd: true)
        #expect(outcome.heads.first?.framing == .untilClose)
        #expect(outcome.heads.first?.keepAlive == false)
        #expect(outcome.body == "some more")
        #expect(outcome.ends == 1)
    }

    @Test func keepAliveFollowsTheVersionAndConnection() throws {
        func keepAlive(_ head: String) throws -> Bool? { try Self.run([head + "Content-Length: 0\r\n\r\n"]).heads.first?.keepAlive }
        #expect(try keepAlive("HTTP/1.1 200 OK\r\n") == true)
        #expect(try keepAlive("HTTP/1.1 200 OK\r\nConnection: close\r\n") == false)
        #expect(try keepAlive("HTTP/1.0 200 OK\r\n") == false)
        #expect(try keepAlive("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n") == true)
    }

    @Test func fieldsNamedByConnectionAreDroppedWhereverTheyStand() throws {
        let outcome = try Self.run(["HTTP/1.1 200 OK\r\nX-Secret: 1\r\nTE: trailers\r\nConnection: x-secret, close, te, Trailer\r\nProxy-Connection: x\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nX-Kept: yes\r\nContent-Length: 0\r\n\r\n"])
        let head = try #require(outcome.heads.first)
        #expect(Self.forwarded(head, connection: "close") == "HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test(arguments: [
        ("HTTP/2 200 OK\r\n\r\n", "status line"),
        ("HTTP/1.1 2000 OK\r\n\r\n", "status line"),
        ("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "folded"),
        ("HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", "colon"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", "hex"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "CRLF"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "no response was due"),
    ])
    func malformedResponsesAreErrors(response: String, says: String) {
        #expect {
            _ = try Self.run([response])
        } throws: { error in
            (error as? UpstreamResponseError)?.description.contains(says) == true
        }
    }

    @Test func anOversizedHeadIsAnError() {
        var parser = UpstreamResponseParser(maxHeadBytes: 100)
        parser.expectResponse(toHEAD: false, unwrapChunks: false)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "a", count: 200))
        #expect(throws: UpstreamResponseError.self) { try parser.next(&buffer) }
    }
}

extension UpstreamResponseParserTests.Outcome {
    mutating func record(_ event: UpstreamResponseParser.Event) {
        switch event {
        case .head(let head): self.heads.append(head)
        case .body(let buffer): self.body += String(buffer: buffer)
        case .end: self.ends += 1
        }
    }
}
