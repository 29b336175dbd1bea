/// XOR-PEER-ADDRESS (RFC 8656 section 18.3): a peer's address as seen from the relay, in the
/// XOR-MAPPED-ADDRESS encoding.
public struct XORPeerAddress: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.xorPeerAddress
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
