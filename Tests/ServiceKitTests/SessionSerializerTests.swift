import Foundation
import TestSupport
import Testing

@testable import ServiceKit

@Suite("Signed cookie sessions")
struct SessionSerializerTests {
    let serializer = SessionSerializer(secretKey: "s3cret")
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    /// The same values as `SAMPLE` in Tests/Peers/flask_session.py.
    static let sample: [String: SessionValue] = [
        "user": "alice",
        "count": 42,
        "ratio": 3.5,
        "admin": false,
        "nothing": nil,
        "pair": .tuple([1, "two"]),
        "raw": .bytes([0x00, 0xFF, 0x68, 0x69]),
        "when": .date(Date(timeIntervalSince1970: 1_715_941_800)),
        "id": .uuid(UUID(uuidString: "12345678-1234-5678-1234-567812345678")!),
        "html": .markup("<b>bold</b>"),
        "nested": ["list": [1, 2, ["k": "v"]]],
        "tricky": [" t": "not a tuple"],
    ]

    @Test func roundTripsEveryTaggedType() {
        let cookie = self.serializer.encode(Self.sample, at: self.now)
        #expect(self.serializer.decode(cookie, maxAge: 3600, at: self.now) == Self.sample)
    }

    @Test func compressesWhenShorterAndMarksItWithADot() {
        let long = self.serializer.encode(["text": .string(String(repeating: "abc", count: 200))], at: self.now)
        let short = self.serializer.encode(["a": 1], at: self.now)
        #expect(long.hasPrefix("."))
        #expect(!short.hasPrefix("."))
        #expect(short.split(separator: ".").count == 3)
    }

    @Test func tamperedCookieReadsAsNothing() {
        var cookie = Array(self.serializer.encode(["user": "alice"], at: self.now))
        let index = cookie.count / 3
        cookie[index] = cookie[index] == "A" ? "B" : "A"
        #expect(self.serializer.decode(String(cookie), maxAge: 3600, at: self.now) == nil)
    }

    @Test func expiredAndFutureCookiesReadAsNothing() {
        let cookie = self.serializer.encode(["user": "alice"], at: self.now)
        #expect(self.serializer.decode(cookie, maxAge: 60, at: self.now.addingTimeInterval(60)) != nil)
        #expect(self.serializer.decode(cookie, maxAge: 60, at: self.now.addingTimeInterval(61)) == nil)
        #expect(self.serializer.decode(cookie, maxAge: 60, at: self.now.addingTimeInterval(-5)) == nil)
    }

    @Test func foreignKeyAndGarbageReadAsNothing() {
        let cookie = SessionSerializer(secretKey: "other").encode(["user": "mallory"], at: self.now)
        #expect(self.serializer.decode(cookie, maxAge: nil, at: self.now) == nil)
        for garbage in ["", ".", "..", "abc", "a.b.c", ".eJx.AAAA.BBBB", String(repeating: ".", count: 50)] {
            #expect(self.serializer.decode(garbage, maxAge: nil, at: self.now) == nil)
        }
    }

    @Test func fallbackKeysVerifyButNeverSign() {
        let old = SessionSerializer(secretKey: "old").encode(["user": "alice"], at: self.now)
        let rotated = SessionSerializer(secretKey: "new", fallbackKeys: ["old"])
        #expect(rotated.decode(old, maxAge: nil, at: self.now) == ["user": "alice"])
        #expect(SessionSerializer(secretKey: "old").decode(rotated.encode(["a": 1], at: self.now), maxAge: nil, at: self.now) == nil)
    }

    @Test func readsTheCookieRealFlaskSets() async throws {
        let (status, cookie) = try await runPeer("flask_session.py", ["set", "s3cret"])
        try #require(status == 0, "the Flask peer failed; is Flask installed (pip install flask)?")
        #expect(self.serializer.decode(cookie, maxAge: 3600) == Self.sample)
    }

    @Test func realFlaskReadsTheCookieServiceKitSets() async throws {
        let cookie = self.serializer.encode(Self.sample)
        let (status, output) = try await runPeer("flask_session.py", ["check", "s3cret", cookie])
        #expect(status == 0, "\(output)")
        let (_, wrongKey) = try await runPeer("flask_session.py", ["get", "another-secret", cookie])
        #expect(wrongKey == #"{"dict": {}}"#)
    }

    @Test func httpDatesMatchWerkzeug() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 1_445_412_480)) == "Wed, 21 Oct 2015 07:28:00 GMT")
        #expect(HTTPDate.parse("Wed, 21 Oct 2015 07:28:00 GMT") == Date(timeIntervalSince1970: 1_445_412_480))
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 23:59:59 GMT") == Date(timeIntervalSince1970: 1_709_251_199))
        #expect(HTTPDate.parse("yesterday") == nil)
    }
}
