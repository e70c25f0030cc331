import CLibCrypto

/// HMAC over libcrypto (OpenSSL), with a constant-time comparison for verifying signatures.
public struct HMAC: Sendable {
    /// The hash function under the HMAC.
    public enum Algorithm: Sendable {
        /// HMAC-SHA1, as itsdangerous signs Flask sessions.
        case sha1
        /// HMAC-SHA256.
        case sha256
        /// HMAC-SHA512.
        case sha512

        var digest: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            case .sha512: EVP_sha512()
            }
        }

        /// Digest length in bytes.
        public var outputSize: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha512: 64
            }
        }
    }

    /// The hash function this HMAC uses.
    public let algorithm: Algorithm
    private let key: [UInt8]

    /// Creates an HMAC with `key`.
    public init(key: [UInt8], algorithm: Algorithm) {
        self.key = key
        self.algorithm = algorithm
    }

    /// The authentication code of `message`.
    public func authenticationCode(for message: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: self.algorithm.outputSize)
        var length: UInt32 = 0
        let message = Array(message)
        output.withUnsafeMutableBufferPointer { out in
            self.key.withUnsafeBufferPointer { key in
                message.withUnsafeBufferPointer { data in
                    // HMAC only fails for an unknown digest or a failed allocation; both are unrecoverable here.
                    let result = CLibCrypto.HMAC(
                        self.algorithm.digest, key.baseAddress, Int32(key.count),
                        data.baseAddress, data.count, out.baseAddress, &length
                    )
                    precondition(result != nil && Int(length) == out.count, "libcrypto HMAC failed")
                }
            }
        }
        return output
    }

    /// Whether `code` is the authentication code of `message`, compared in constant time.
    public func isValid(_ code: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        Self.constantTimeEquals(self.authenticationCode(for: message), Array(code))
    }

    /// Compares two byte strings in time that depends only on their length, not their contents.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
