/// One attribute as it appears on the wire: a type and an unpadded value (RFC 8489 section 14).
public struct STUNAttribute: Hashable, Sendable {
    public var type: STUNAttributeType
    public var value: [UInt8]

    public init(type: STUNAttributeType, value: [UInt8]) {
        self.type = type
        self.value = value
    }
}

/// A typed attribute that can be read from and written to a ``STUNAttribute``.
///
/// The XOR-ed address attributes need the transaction ID, so both directions receive it.
public protocol STUNAttributeValue: Sendable {
    static var attributeType: STUNAttributeType { get }
    /// Decodes the value; throws ``STUNDecodingError/malformedAttribute(_:)`` on bad input.
    init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError)
    /// The unpadded value bytes.
    func encodedValue(transactionID: TransactionID) -> [UInt8]
}

extension STUNAttributeValue {
    static var malformed: STUNDecodingError { .malformedAttribute(attributeType) }
}

/// Shared decoding for the attributes whose value is UTF-8 text of bounded length.
protocol STUNTextAttribute: STUNAttributeValue {
    static var maximumBytes: Int { get }
    var text: String { get }
    init(text: String)
}

extension STUNTextAttribute {
    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count <= Self.maximumBytes, let text = String(validating: value, as: UTF8.self) else {
            throw Self.malformed
        }
        self.init(text: text)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { Array(text.utf8) }
}
