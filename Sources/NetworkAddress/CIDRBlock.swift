/// A network written as `address/prefix` (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a single host.
public struct CIDRBlock: Hashable, Sendable, CustomStringConvertible {
    /// The network address, host bits cleared.
    public let network: IPAddress
    /// How many leading bits identify the network.
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address.
    ///
    /// - Throws: ``CIDRBlockError`` naming what is wrong with `text`.
    public init(parsing text: some StringProtocol) throws(CIDRBlockError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { throw CIDRBlockError(text: String(text), reason: "\"\(parts[0])\" is not an IP address") }
        var length = address.family.bitCount
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...address.family.bitCount).contains(parsed) else {
                throw CIDRBlockError(text: String(text), reason: "the prefix length must be a number from 0 to \(address.family.bitCount)")
            }
            length = parsed
        }
        self.network = address.masked(to: length)
        self.prefixLength = length
    }

    /// Whether `address` is inside this network.
    public func contains(_ address: IPAddress) -> Bool {
        address.family == self.network.family && address.masked(to: self.prefixLength) == self.network
    }

    /// `network/prefix`.
    public var description: String { "\(self.network)/\(self.prefixLength)" }
}

/// Text that is not a CIDR block.
public struct CIDRBlockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as given.
    public let text: String
    /// What is wrong.
    public let reason: String

    public var description: String { "invalid CIDR block \"\(self.text)\": \(self.reason)" }
}
