#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Groups IP addresses by network prefix, so `/24` (IPv4) or `/64` (IPv6) counts a whole network as one client:
/// `203.0.113.77` with `/24` is `203.0.113.0/24`.
public enum AddressPrefix {
    /// The network of `address` at the given prefix lengths, as `address/prefix`; a text that is not an IP
    /// address is returned unchanged.
    public static func network(of address: String, ipv4Prefix: Int, ipv6Prefix: Int) -> String {
        if ipv4Prefix >= 32 && ipv6Prefix >= 128 { return address }
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            guard ipv4Prefix < 32 else { return address }
            var bytes = withUnsafeBytes(of: &v4) { Array($0) }
            self.mask(&bytes, prefix: max(0, ipv4Prefix))
            return self.format(bytes, family: AF_INET) + "/\(ipv4Prefix)"
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            guard ipv6Prefix < 128 else { return address }
            var bytes = withUnsafeBytes(of: &v6) { Array($0) }
            self.mask(&bytes, prefix: max(0, ipv6Prefix))
            return self.format(bytes, family: AF_INET6) + "/\(ipv6Prefix)"
        }
        return address
    }

    private static func mask(_ bytes: inout [UInt8], prefix: Int) {
        for index in bytes.indices {
            let bitsHere = min(8, max(0, prefix - index * 8))
            bytes[index] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
        }
    }

    private static func format(_ bytes: [UInt8], family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
