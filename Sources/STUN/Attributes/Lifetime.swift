/// LIFETIME (RFC 8656 section 18.2): seconds until the allocation expires without a refresh.
public struct Lifetime: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.lifetime
    public var seconds: UInt32

    public init(seconds: UInt32) { self.seconds = seconds }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        var reader = ByteReader(Array(value))
        guard value.count == 4, let raw = reader.readUInt32() else { throw Self.malformed }
        seconds = raw
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        result.appendUInt32(seconds)
        return result
    }
}
