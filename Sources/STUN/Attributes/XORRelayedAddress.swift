/// XOR-RELAYED-ADDRESS (RFC 8656 section 18.5): the relayed transport address the server
/// allocated, in the XOR-MAPPED-ADDRESS encoding.
public struct XORRelayedAddress: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.xorRelayedAddress
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
