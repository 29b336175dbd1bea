/// MAPPED-ADDRESS (RFC 8489 section 14.1): the reflexive address, in the clear. Kept for
/// RFC 3489 clients; modern clients read XOR-MAPPED-ADDRESS.
public struct MappedAddress: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.mappedAddress
    public var address: TransportAddress

    public init(_ address: TransportAddress) { self.address = address }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard let address = decodeAddress(value, xor: nil) else { throw Self.malformed }
        self.address = address
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        encodeAddress(address, xor: nil)
    }
}
