import NetworkAddress
extension RateLimitPolicy {
    /// The key this policy counts `request` by, or `nil` when the policy does not apply to it (no match, or a
    /// missing key with `missing: skip`).
    public func key(for request: borrowing RateLimitRequest) -> String? {
        guard self.match.matches(request) else { return nil }
        if self.key.count == 1 { return self.value(of: self.key[0], in: request) ?? self.fallback(for: request) }
        var parts: [String] = []
        parts.reserveCapacity(self.key.count)
        for part in self.key {
            guard let value = self.value(of: part, in: request) else { return self.fallback(for: request) }
            parts.append(value)
        }
        return parts.joined(separator: "|")
    }

    private func fallback(for request: borrowing RateLimitRequest) -> String? {
        switch self.missing {
        case .skip: nil
        case .clientAddress: "addr:" + request.clientAddress
        }
    }

    private func value(of part: KeyPart, in request: borrowing RateLimitRequest) -> String? {
        switch part {
        case .clientAddress(let ipv4Prefix, let ipv6Prefix):
            AddressPrefix.network(of: request.clientAddress, ipv4Prefix: ipv4Prefix, ipv6Prefix: ipv6Prefix)
        case .header(let name):
            request.header(name).flatMap { $0.isEmpty ? nil : $0 }
        case .cookie(let name):
            request.cookies[name].flatMap { $0.isEmpty ? nil : $0 }
        case .route:
            request.route
        }
    }
}
