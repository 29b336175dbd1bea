import STUN

/// An address prefix such as `10.0.0.0/8` or `fe80::/10`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init(_ address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = max(0, min(prefixLength, address.isIPv4 ? 32 : 128))
    }

    /// Parses `a.b.c.d/n`, `x::/n`, or a bare address (a host prefix).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.isIPv4 ? 32 : 128
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...maximum).contains(length) else { return nil }
            self.init(address, prefixLength: length)
        } else {
            self.init(address, prefixLength: maximum)
        }
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4(let network), .v4(let value)):
            guard prefixLength > 0 else { return true }
            let mask = UInt32.max << UInt32(32 - prefixLength)
            return network & mask == value & mask
        case (.v6(let networkHigh, let networkLow), .v6(let high, let low)):
            if prefixLength <= 64 {
                guard prefixLength > 0 else { return true }
                let mask = UInt64.max << UInt64(64 - prefixLength)
                return networkHigh & mask == high & mask
            }
            let mask = UInt64.max << UInt64(128 - prefixLength)
            return networkHigh == high && networkLow & mask == low & mask
        default:
            return false
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
