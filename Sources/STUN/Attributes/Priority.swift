/// PRIORITY (RFC 8445 section 7.1.1): the priority a peer-reflexive candidate learned from this
/// check would get. Every ICE connectivity check carries it.
public struct Priority: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.priority
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        var reader = ByteReader(Array(value))
        guard value.count == 4, let raw = reader.readUInt32() else { throw Self.malformed }
        self.value = raw
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        result.appendUInt32(value)
        return result
    }
}
