import Testing

@testable import ProxyCore

/// The byte scans under both parsers, against plain one-byte-at-a-time definitions: the word-at-a-time and
/// `memchr` searches must stop exactly where those do, wherever in a word the stop falls.
@Suite struct HTTP1SyntaxTests {
    /// What `lineEnd` means, a byte at a time.
    static func plainLineEnd(_ bytes: [UInt8], from: Int) -> Int? {
        var index = from
        while index < bytes.count {
            switch bytes[index] {
            case 0x0D: return index + 1 < bytes.count && bytes[index + 1] == 0x0A ? index + 2 : nil
            case 0x0A, 0x00: return nil
            default: index += 1
            }
        }
        return nil
    }

    /// What `headEnd` means, a byte at a time.
    static func plainHeadEnd(_ bytes: [UInt8], from: Int) -> HTTP1Syntax.HeadEnd {
        for index in from..<bytes.count where bytes[index] == 0x0A {
            guard index > 0, bytes[index - 1] == 0x0D else { return .bareLineFeed }
            if index >= 3, bytes[index - 2] == 0x0A, bytes[index - 3] == 0x0D { return .complete(index + 1) }
        }
        return .incomplete
    }

    @Test func tokenBytesAreRFC9110sTchars() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(HTTP1Syntax.isTokenByte(byte) == tchars.contains(byte), "byte \(byte)")
        }
    }

    @Test func aLineEndsAtItsFirstCRLFAndAStrayStopByteIsFoundAtAnyOffset() {
        // Every stop byte (and high bytes, which a word-at-a-time search could mistake) at every offset of lines
        // long enough to take several words, read from every start.
        let stops: [[UInt8]] = [[0x0D, 0x0A], [0x0D], [0x0A], [0x00], [0x0D, 0x41], [0x80, 0x0D, 0x0A], [0xFF, 0x8D, 0x0D, 0x0A]]
        for stop in stops {
            for offset in 0..<24 {
                for tail in [[], [0x20], Array("rest of head\r\n".utf8)] as [[UInt8]] {
                    let bytes = Array(repeating: UInt8(ascii: "v"), count: offset) + stop + tail
                    for from in 0...min(offset, 9) {
                        let found = bytes.withUnsafeBytes { HTTP1Syntax.lineEnd($0, from: from) }
                        #expect(found == Self.plainLineEnd(bytes, from: from), "stop \(stop) at \(offset), from \(from)")
                    }
                }
            }
        }
    }

    @Test func randomLinesEndWhereAByteAtATimeReadEndsThem() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x00, 0x20, 0x41, 0x61, 0x7F, 0x80, 0x8A, 0xFF, 0x01]
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                Bool.random(using: &generator) ? UInt8(ascii: "x") : alphabet.randomElement(using: &generator) ?? 0
            }
            let from = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            let found = bytes.withUnsafeBytes { HTTP1Syntax.lineEnd($0, from: from) }
            #expect(found == Self.plainLineEnd(bytes, from: from), "\(bytes) from \(from)")
        }
    }

    @Test func aHeadEndsAtItsFirstEmptyLineFromWhereverTheSearchResumes() {
        let heads = [
            "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\n\r\n", "\r\n\r\n", "\n", "", "GET / HTTP/1.1\r\nX: \r\r\n\r\n",
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 17\r\n\r\n{\"hello\":\"world\"}",
        ]
        for head in heads {
            let bytes = Array(head.utf8)
            for from in 0...bytes.count {
                let found = bytes.withUnsafeBytes { HTTP1Syntax.headEnd($0, from: from) }
                #expect(found == Self.plainHeadEnd(bytes, from: from), "\(head.debugDescription) from \(from)")
            }
        }
    }

    @Test func fieldNamesAreComparedWordwiseWithoutFalseMatches() {
        let names: [StaticString] = ["x-forwarded-for", "content-length", "transfer-encoding", "keep-alive", "x-request-id", "te", "host"]
        let tchars = Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for name in names {
            let lower = name.withUTF8Buffer { Array($0) }
            let upper = lower.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            for bytes in [lower, upper, [UInt8](repeating: 0x78, count: 3) + lower] {
                let range = (bytes.count - lower.count)..<bytes.count
                #expect(bytes.withUnsafeBytes { HTTP1Syntax.tokenEqualsIgnoringCase($0, range, name) }, "\(bytes)")
            }
            // Every other token byte at every position: only a letter's two cases may stand for it.
            for position in lower.indices {
                for byte in tchars where byte | 0x20 != lower[position] || !(0x61...0x7A).contains(lower[position]) {
                    guard byte != lower[position] else { continue }
                    var changed = lower
                    changed[position] = byte
                    #expect(!changed.withUnsafeBytes { HTTP1Syntax.tokenEqualsIgnoringCase($0, 0..<changed.count, name) }, "\(changed)")
                }
            }
            #expect(!lower.withUnsafeBytes { HTTP1Syntax.tokenEqualsIgnoringCase($0, 0..<(lower.count - 1), name) }, "a shorter name")
        }
    }
}
