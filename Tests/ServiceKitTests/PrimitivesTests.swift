import Foundation
import Testing

@testable import ServiceKit

@Suite("zlib, HMAC and base64url wrappers")
struct PrimitivesTests {
    @Test func zlibRoundTripsAndRejectsGarbage() throws {
        let text = Array(String(repeating: "hello zlib ", count: 100).utf8)
        let compressed = try Zlib.compress(text)
        #expect(compressed.count < text.count / 5)
        #expect(compressed.first == 0x78, "a zlib stream starts with the 0x78 header byte")
        #expect(try Zlib.decompress(compressed) == text)
        #expect(throws: ZlibError.self) { try Zlib.decompress([1, 2, 3, 4]) }
        #expect(throws: ZlibError.self) { try Zlib.decompress(Array(compressed.dropLast(4))) }
    }

    @Test func zlibRefusesToInflatePastTheLimit() throws {
        let bomb = try Zlib.compress([UInt8](repeating: 0, count: 2 << 20))
        #expect(bomb.count < 10_000)
        #expect(throws: ZlibError.self) { try Zlib.decompress(bomb, maxSize: 1 << 20) }
    }

    @Test func hmacMatchesRFC2202AndRFC4231Vectors() {
        let sha1 = HMAC(key: [UInt8](repeating: 0x0B, count: 20), algorithm: .sha1)
        #expect(hex(sha1.authenticationCode(for: Array("Hi There".utf8))) == "b617318655057264e28bc0b6fb378c8ef146be00")
        let sha256 = HMAC(key: Array("Jefe".utf8), algorithm: .sha256)
        #expect(
            hex(sha256.authenticationCode(for: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
    }

    @Test func hmacVerificationRejectsAnyChangedByte() {
        let hmac = HMAC(key: Array("k".utf8), algorithm: .sha1)
        let message = Array("message".utf8)
        let code = hmac.authenticationCode(for: message)
        #expect(hmac.isValid(code, for: message))
        for index in code.indices {
            var changed = code
            changed[index] ^= 0x01
            #expect(!hmac.isValid(changed, for: message))
        }
        #expect(!hmac.isValid(code.dropLast(), for: message))
    }

    @Test func base64URLIsUnpaddedAndURLSafe() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.decode("+/8=") == [0xFB, 0xFF])
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("@@@@") == nil)
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
