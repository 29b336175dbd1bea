/// MESSAGE-INTEGRITY-SHA256 (RFC 8489 section 14.6): HMAC-SHA256 over the message up to this
/// attribute, 16 to 32 bytes in multiples of 4. Computed and checked by ``STUNMessage``.
public struct MessageIntegritySHA256: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.messageIntegritySHA256
    public var hmac: [UInt8]

    public init(hmac: [UInt8]) { self.hmac = hmac }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard (16...32).contains(value.count), value.count % 4 == 0 else { throw Self.malformed }
        hmac = Array(value)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { hmac }
}
