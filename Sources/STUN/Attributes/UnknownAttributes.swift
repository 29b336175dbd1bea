/// UNKNOWN-ATTRIBUTES (RFC 8489 section 14.13): the comprehension-required attribute types a
/// 420 response did not understand.
public struct UnknownAttributes: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.unknownAttributes
    public var types: [STUNAttributeType]

    public init(_ types: [STUNAttributeType]) { self.types = types }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count % 2 == 0 else { throw Self.malformed }
        var reader = ByteReader(Array(value))
        var types: [STUNAttributeType] = []
        while let raw = reader.readUInt16() { types.append(STUNAttributeType(rawValue: raw)) }
        self.types = types
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        for type in types { result.appendUInt16(type.rawValue) }
        return result
    }
}
