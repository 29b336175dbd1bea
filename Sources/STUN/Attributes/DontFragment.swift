/// DONT-FRAGMENT (RFC 8656 section 18.8): asks the server to set DF on relayed packets. No
/// value. Parley accepts it and relays without setting DF.
public struct DontFragment: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.dontFragment

    public init() {}

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.isEmpty else { throw Self.malformed }
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { [] }
}
