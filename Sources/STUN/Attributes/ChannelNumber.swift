/// CHANNEL-NUMBER (RFC 8656 section 18.1): a channel number, then two reserved bytes.
public struct ChannelNumber: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.channelNumber
    /// The numbers a client may bind. RFC 8656 section 12 narrowed this to 0x4000...0x4FFF, but
    /// RFC 5766 allowed up to 0x7FFF and clients still use it (coturn's `turnutils_uclient`
    /// picks from the whole range), so the older range is accepted.
    public static let validRange: ClosedRange<UInt16> = 0x4000...0x7FFF
    public var number: UInt16

    public init(_ number: UInt16) { self.number = number }

    /// Decodes any number; the allocation checks ``validRange`` so it can answer 400.
    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count == 4 else { throw Self.malformed }
        number = readUInt16(value)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        result.appendUInt16(number)
        return result + [0, 0]
    }
}
