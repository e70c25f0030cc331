import NIOCore
import RateLimitRedis
import Testing

@Suite("RESP parser")
struct RESPParserTests {
    func parseAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var values: [RESPValue] = []
        while let value = try RESPParser.parse(&buffer) { values.append(value) }
        #expect(buffer.readableBytes == 0)
        return values
    }

    @Test func parsesEveryKind() throws {
        #expect(try self.parseAll("+OK\r\n-NOSCRIPT No matching script\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n") == [
            .simpleString("OK"), .error("NOSCRIPT No matching script"), .integer(42),
            .bulkString(Array("he\r\no".utf8)), .bulkString(nil), .array(nil),
        ])
        #expect(try self.parseAll("*2\r\n:1\r\n*2\r\n$1\r\na\r\n$0\r\n\r\n") == [
            .array([.integer(1), .array([.bulkString(Array("a".utf8)), .bulkString([])])]),
        ])
    }

    @Test func waitsForAValueSplitAcrossReads() throws {
        // Cut by bytes: in Swift "\r\n" is one Character.
        let whole = Array("*2\r\n$3\r\nfoo\r\n:7\r\n".utf8)
        for cut in 1..<whole.count {
            var buffer = ByteBuffer(bytes: whole[..<cut])
            #expect(try RESPParser.parse(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readerIndex == 0, "nothing is consumed from an incomplete value")
            buffer.writeBytes(whole[cut...])
            #expect(try RESPParser.parse(&buffer) == .array([.bulkString(Array("foo".utf8)), .integer(7)]))
        }
    }

    @Test func rejectsWhatIsNotRESP() {
        for bad in ["?x\r\n", ":seven\r\n", "$-5\r\n", "*99999999999\r\n"] {
            var buffer = ByteBuffer(string: bad)
            #expect(throws: RESPError.self, "\(bad)") { try RESPParser.parse(&buffer) }
        }
    }

    @Test func writesCommandsAsBulkStringArrays() {
        var buffer = ByteBuffer()
        RESPParser.writeCommand(["SET", "k", "héllo"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nhéllo\r\n")
    }
}
