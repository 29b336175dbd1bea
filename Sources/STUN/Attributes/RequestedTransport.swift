/// REQUESTED-TRANSPORT (RFC 8656 section 18.6): the protocol between the relay and peers, an
/// IANA protocol number in the first byte. Only UDP (17) is relayed.
public struct RequestedTransport: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.requestedTransport
    public static let udp = RequestedTransport(protocolNumber: 17)
    public var protocolNumber: UInt8

    public init(protocolNumber: UInt8) { self.protocolNumber = protocolNumber }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count == 4, let first = value.first else { throw Self.malformed }
        protocolNumber = first
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { [protocolNumber, 0, 0, 0] }
}
