/// DATA (RFC 8656 section 18.4): the application payload of a Send or Data indication.
public struct DataAttribute: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.data
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        bytes = Array(value)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { bytes }
}
