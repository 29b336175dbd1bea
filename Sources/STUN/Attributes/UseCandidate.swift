/// USE-CANDIDATE (RFC 8445 section 7.1.2): the controlling agent nominates the pair this check
/// is sent on. No value.
public struct UseCandidate: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.useCandidate

    public init() {}

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.isEmpty else { throw Self.malformed }
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { [] }
}
