/// Groups IP addresses by network prefix, so `/24` (IPv4) or `/64` (IPv6) counts a whole network as one client:
/// `203.0.113.77` with `/24` is `203.0.113.0/24`.
public enum AddressPrefix {
    /// The network of `address` at the given prefix lengths, as `address/prefix`; a text that is not an IP
    /// address is returned unchanged.
    public static func network(of address: String, ipv4Prefix: Int, ipv6Prefix: Int) -> String {
        if ipv4Prefix >= 32 && ipv6Prefix >= 128 { return address }
        guard let parsed = IPAddress(address) else { return address }
        let prefix = parsed.family == .v4 ? ipv4Prefix : ipv6Prefix
        guard prefix < parsed.family.bitCount else { return address }
        return "\(parsed.masked(to: max(0, prefix)))/\(prefix)"
    }
}
