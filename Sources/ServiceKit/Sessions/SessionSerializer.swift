#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs and reads session cookies in exactly the format Flask and Quart use: itsdangerous'
/// `URLSafeTimedSerializer` with salt `cookie-session`, HMAC key derivation and SHA-1, over Flask's tagged JSON.
///
/// A cookie is `payload.timestamp.signature`, each part base64url without padding. The payload is compact
/// JSON, zlib-compressed and prefixed with `.` when that is shorter. The signing key is
/// `HMAC-SHA1(secret, salt)`; the signature is `HMAC-SHA1(key, payload.timestamp)`.
public struct SessionSerializer: Sendable {
    private let signers: [HMAC]

    /// Creates a serializer for `secretKey`.
    ///
    /// - Parameter fallbackKeys: older secrets that still verify cookies (Flask's `SECRET_KEY_FALLBACKS`), so a
    ///   key can be rotated without logging everyone out. New cookies are always signed with `secretKey`.
    public init(secretKey: String, salt: String = "cookie-session", fallbackKeys: [String] = []) {
        self.signers = ([secretKey] + fallbackKeys).map { secret in
            let derived = HMAC(key: Array(secret.utf8), algorithm: .sha1).authenticationCode(for: Array(salt.utf8))
            return HMAC(key: derived, algorithm: .sha1)
        }
    }

    /// The signed cookie value for `session`, stamped with `date`.
    public func encode(_ session: [String: SessionValue], at date: Date = Date()) -> String {
        let json = TaggedJSON.tag(.object(session)).serialized()
        var payload: String
        if let compressed = try? Zlib.compress(json), compressed.count < json.count - 1 {
            payload = "." + Base64URL.encode(compressed)
        } else {
            payload = Base64URL.encode(json)
        }
        payload += "." + Base64URL.encode(Self.bigEndianBytes(Int(date.timeIntervalSince1970)))
        // `signers` always holds the current key first; see init.
        let signature = self.signers[0].authenticationCode(for: Array(payload.utf8))
        return payload + "." + Base64URL.encode(signature)
    }

    /// Reads a cookie value.
    ///
    /// - Parameters:
    ///   - maxAge: how old, in seconds, a cookie may be (Flask's `PERMANENT_SESSION_LIFETIME`).
    ///   - date: the current time.
    /// - Returns: the session, or `nil` when the cookie is tampered with, signed with another key, expired,
    ///   or not a session at all. Callers treat `nil` as an empty session, never as an error.
    public func decode(_ cookie: String, maxAge: TimeInterval?, at date: Date = Date()) -> [String: SessionValue]? {
        let bytes = Array(cookie.utf8)
        guard let signatureDot = bytes.lastIndex(of: UInt8(ascii: ".")),
            let signature = Base64URL.decode(String(decoding: bytes[(signatureDot + 1)...], as: UTF8.self))
        else { return nil }
        let signed = Array(bytes[..<signatureDot])
        guard self.signers.contains(where: { $0.isValid(signature, for: signed) }) else { return nil }

        guard let timestampDot = signed.lastIndex(of: UInt8(ascii: ".")),
            let stamp = Base64URL.decode(String(decoding: signed[(timestampDot + 1)...], as: UTF8.self)),
            stamp.count <= 8
        else { return nil }
        let timestamp = stamp.reduce(0) { $0 << 8 | Int($1) }
        let age = date.timeIntervalSince1970.rounded(.down) - TimeInterval(timestamp)
        if let maxAge, age > maxAge || age < 0 { return nil }

        var payload = signed[..<timestampDot]
        let compressed = payload.first == UInt8(ascii: ".")
        if compressed { payload = payload.dropFirst() }
        guard var json = Base64URL.decode(String(decoding: payload, as: UTF8.self)) else { return nil }
        if compressed {
            guard let inflated = try? Zlib.decompress(json) else { return nil }
            json = inflated
        }
        guard let value = try? JSONValue(parsing: json), case .object(let members)? = try? TaggedJSON.untag(value)
        else { return nil }
        return members
    }

    private static func bigEndianBytes(_ value: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var remaining = value
        while remaining > 0 {
            bytes.insert(UInt8(remaining & 0xFF), at: 0)
            remaining >>= 8
        }
        return bytes
    }
}
