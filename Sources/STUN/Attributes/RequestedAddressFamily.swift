/// REQUESTED-ADDRESS-FAMILY (RFC 8656 section 18.10): the family of relayed address wanted,
/// 0x01 (IPv4) or 0x02 (IPv6), then three reserved bytes.
public struct RequestedAddressFamily: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.requestedAddressFamily
    public static let ipv4 = RequestedAddressFamily(family: 0x01)
    public static let ipv6 = RequestedAddressFamily(family: 0x02)
    public var family: UInt8

    public init(family: UInt8) { self.family = family }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count == 4, let first = value.first, first == 0x01 || first == 0x02 else { throw Self.malformed }
        family = first
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { [family, 0, 0, 0] }
}
