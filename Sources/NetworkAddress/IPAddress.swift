#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes, parsed once so prefix checks are byte compares.
///
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer) is read
/// as the IPv4 address, so IPv4 CIDR lists keep working behind dual-stack listeners.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// IPv4: 4 bytes.
        case v4
        /// IPv6: 16 bytes.
        case v6

        /// The address length in bits.
        public var bitCount: Int { self == .v4 ? 32 : 128 }
    }

    /// The family.
    public let family: Family
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses a textual address (`192.0.2.1`, `2001:db8::1`, optionally in brackets); nil when it is not one.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(family: .v4, bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            self.init(family: .v4, bytes: Array(bytes[12..<16]))
        } else {
            self.init(family: .v6, bytes: bytes)
        }
    }

    /// An address from raw bytes of the family's length.
    public init(family: Family, bytes: [UInt8]) {
        precondition(bytes.count == family.bitCount / 8, "an \(family) address has \(family.bitCount / 8) bytes")
        self.family = family
        self.bytes = bytes
    }

    /// This address with every bit after the first `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var bytes = self.bytes
        for index in bytes.indices {
            let bitsHere = min(8, max(0, prefixLength - index * 8))
            bytes[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
        return IPAddress(family: self.family, bytes: bytes)
    }

    /// The conventional text form (`inet_ntop`).
    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = self.bytes.withUnsafeBytes { inet_ntop(self.family == .v4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
