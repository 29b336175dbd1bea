/// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2): the client's reflexive transport address,
/// XOR-ed with the magic cookie and transaction ID so that NATs rewriting addresses in payloads
/// leave it alone.
public struct XORMappedAddress: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.xorMappedAddress
    public var address: TransportAddress

    public init(_ address: TransportAddress) { self.address = address }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard let address = decodeAddress(value, xor: transactionID) else { throw Self.malformed }
        self.address = address
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        encodeAddress(address, xor: transactionID)
    }
}
