extension RateLimitPolicy {
    /// The key this policy counts `request` by, or `nil` when the policy does not apply to it (no match, or a
    /// missing key with `missing: skip`).
    public func key(for request: RateLimitRequest) -> String? {
        guard self.match.matches(request) else { return nil }
        var parts: [String] = []
        parts.reserveCapacity(self.key.count)
        for part in self.key {
            let value: String?
            switch part {
            case .clientAddress(let ipv4Prefix, let ipv6Prefix):
                value = AddressPrefix.network(of: request.clientAddress, ipv4Prefix: ipv4Prefix, ipv6Prefix: ipv6Prefix)
            case .header(let name):
                value = request.header(name).flatMap { $0.isEmpty ? nil : $0 }
            case .cookie(let name):
                value = request.cookies[name].flatMap { $0.isEmpty ? nil : $0 }
            case .route:
                value = request.route
            }
            guard let value else {
                switch self.missing {
                case .skip: return nil
                case .clientAddress: return "addr:" + request.clientAddress
                }
            }
            parts.append(value)
        }
        return parts.joined(separator: "|")
    }
}
