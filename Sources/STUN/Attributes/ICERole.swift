/// ICE-CONTROLLING and ICE-CONTROLLED (RFC 8445 section 7.1.3): the role the sender of a check
/// believes it has, with its 64-bit tie-breaker for resolving a conflict.
public protocol ICERoleAttribute: STUNAttributeValue, Hashable {
    var tieBreaker: UInt64 { get }
    init(tieBreaker: UInt64)
}

extension ICERoleAttribute {
    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        var reader = ByteReader(Array(value))
        guard value.count == 8, let raw = reader.readUInt64() else { throw Self.malformed }
        self.init(tieBreaker: raw)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        result.appendUInt64(tieBreaker)
        return result
    }
}

/// ICE-CONTROLLING: the sender is the controlling agent (a browser facing an ICE-lite server).
public struct ICEControlling: ICERoleAttribute {
    public static let attributeType = STUNAttributeType.iceControlling
    public var tieBreaker: UInt64
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
}

/// ICE-CONTROLLED: the sender is the controlled agent.
public struct ICEControlled: ICERoleAttribute {
    public static let attributeType = STUNAttributeType.iceControlled
    public var tieBreaker: UInt64
    public init(tieBreaker: UInt64) { self.tieBreaker = tieBreaker }
}
