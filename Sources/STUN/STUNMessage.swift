import Crypto

/// A STUN message (RFC 8489 section 5): a type, a transaction ID and attributes in order.
///
/// Decoding is total and bounded: any byte sequence either decodes or throws a
/// ``STUNDecodingError``; nothing traps. A decoded message remembers its wire bytes so that
/// MESSAGE-INTEGRITY can be checked against exactly what was received.
public struct STUNMessage: Sendable {
    /// The header is 20 bytes: type, length, magic cookie, transaction ID.
    public static let headerLength = 20
    /// More attributes than this is not a message any real agent sends.
    public static let maximumAttributeCount = 64

    public var type: STUNMessageType
    public var transactionID: TransactionID
    /// The attributes in wire order. After decoding, attributes that followed MESSAGE-INTEGRITY
    /// (other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT) are already dropped, as RFC 8489
    /// section 14.5 requires.
    public var attributes: [STUNAttribute]

    /// Wire bytes and the offset of each attribute's header, for integrity checks.
    private var wire: (bytes: [UInt8], offsets: [Int])?

    public init(type: STUNMessageType, transactionID: TransactionID, attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
        self.wire = nil
    }

    /// True when the first byte says "STUN" (top two bits 00), as opposed to ChannelData (01)
    /// or anything else sharing the port (RFC 7983).
    public static func looksLikeSTUN(_ firstByte: UInt8) -> Bool { firstByte & 0xC0 == 0 }

    /// Decodes one message that fills `bytes` exactly.
    public init(decoding bytes: [UInt8]) throws(STUNDecodingError) {
        var reader = ByteReader(bytes)
        guard bytes.count >= STUNMessage.headerLength, let rawType = reader.readUInt16(),
            let length = reader.readUInt16(), let cookie = reader.readUInt32(),
            let idBytes = reader.readBytes(12), let transactionID = TransactionID(bytes: idBytes)
        else { throw .truncated }
        guard let type = STUNMessageType(rawValue: rawType) else { throw .notSTUN }
        guard cookie == stunMagicCookie else { throw .badMagicCookie }
        guard length % 4 == 0, Int(length) + STUNMessage.headerLength == bytes.count else { throw .badLength }

        var attributes: [STUNAttribute] = []
        var offsets: [Int] = []
        var sawIntegrity = false
        var sawFingerprint = false
        while reader.remaining > 0 {
            let offset = reader.index
            guard let rawAttributeType = reader.readUInt16(), let valueLength = reader.readUInt16(),
                let value = reader.readBytes(Int(valueLength))
            else { throw .attributeOverflow }
            // Padding to a multiple of four; its content is ignored (RFC 8489 section 14).
            guard reader.skip((4 - Int(valueLength) % 4) % 4) else { throw .attributeOverflow }
            guard !sawFingerprint else { throw .attributeAfterFingerprint }
            guard attributes.count < STUNMessage.maximumAttributeCount else { throw .tooManyAttributes }
            let attributeType = STUNAttributeType(rawValue: rawAttributeType)
            switch attributeType {
            case .fingerprint:
                sawFingerprint = true
                let fingerprint = try Fingerprint(value: value, transactionID: transactionID)
                // The length field already counts FINGERPRINT, as the sender computed it.
                guard Fingerprint.compute(over: bytes[0..<offset]) == fingerprint.value else {
                    throw .badFingerprint
                }
            case .messageIntegrity:
                sawIntegrity = true
            case .messageIntegritySHA256:
                break
            default:
                if sawIntegrity { continue }
            }
            attributes.append(STUNAttribute(type: attributeType, value: Array(value)))
            offsets.append(offset)
        }
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
        self.wire = (bytes, offsets)
    }

    /// The first attribute of type `A`, decoded; `nil` when absent.
    /// Throws when present but malformed.
    public func attribute<A: STUNAttributeValue>(_: A.Type) throws(STUNDecodingError) -> A? {
        guard let raw = attributes.first(where: { $0.type == A.attributeType }) else { return nil }
        return try A(value: raw.value[...], transactionID: transactionID)
    }

    /// Every attribute of type `A`, decoded (XOR-PEER-ADDRESS may repeat in CreatePermission).
    public func attributes<A: STUNAttributeValue>(_: A.Type) throws(STUNDecodingError) -> [A] {
        var result: [A] = []
        for raw in attributes where raw.type == A.attributeType {
            result.append(try A(value: raw.value[...], transactionID: transactionID))
        }
        return result
    }

    public func contains(_ type: STUNAttributeType) -> Bool { attributes.contains { $0.type == type } }

    /// Appends a typed attribute.
    public mutating func append<A: STUNAttributeValue>(_ attribute: A) {
        attributes.append(
            STUNAttribute(type: A.attributeType, value: attribute.encodedValue(transactionID: transactionID)))
    }

    /// A copy with the attribute appended, for building messages in one expression.
    public func appending<A: STUNAttributeValue>(_ attribute: A) -> STUNMessage {
        var copy = self
        copy.append(attribute)
        return copy
    }
}

/// Which HMAC protects an encoded message (RFC 8489 sections 14.5 and 14.6).
public enum STUNIntegrity: Sendable, Hashable {
    /// MESSAGE-INTEGRITY, HMAC-SHA1, with this key.
    case sha1(key: [UInt8])
    /// MESSAGE-INTEGRITY-SHA256, HMAC-SHA256 (32 bytes), with this key.
    case sha256(key: [UInt8])
}

/// The outcome of checking a received message's integrity.
public enum STUNIntegrityCheck: Sendable, Hashable {
    /// Neither MESSAGE-INTEGRITY nor MESSAGE-INTEGRITY-SHA256 is present.
    case absent
    /// Verified; the value says which HMAC, so the response can use the same one.
    case valid(sha256: Bool)
    case invalid
}

extension STUNMessage {
    /// Encodes the message. Attributes already in ``attributes`` that are MESSAGE-INTEGRITY,
    /// MESSAGE-INTEGRITY-SHA256 or FINGERPRINT are dropped and recomputed as asked.
    public func encode(integrity: STUNIntegrity? = nil, fingerprint: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(STUNMessage.headerLength + attributes.reduce(0) { $0 + 4 + $1.value.count + 3 } + 48)
        bytes.appendUInt16(type.rawValue)
        bytes.appendUInt16(0)
        bytes.appendUInt32(stunMagicCookie)
        bytes += transactionID.bytes
        for attribute in attributes
        where ![.messageIntegrity, .messageIntegritySHA256, .fingerprint].contains(attribute.type) {
            STUNMessage.appendAttribute(attribute.type, attribute.value[...], to: &bytes)
        }
        switch integrity {
        case .sha1(let key):
            bytes.setUInt16(UInt16(clamping: bytes.count - STUNMessage.headerLength + 24), at: 2)
            let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
            STUNMessage.appendAttribute(.messageIntegrity, mac[...], to: &bytes)
        case .sha256(let key):
            bytes.setUInt16(UInt16(clamping: bytes.count - STUNMessage.headerLength + 36), at: 2)
            let mac = Array(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
            STUNMessage.appendAttribute(.messageIntegritySHA256, mac[...], to: &bytes)
        case nil:
            break
        }
        if fingerprint {
            bytes.setUInt16(UInt16(clamping: bytes.count - STUNMessage.headerLength + 8), at: 2)
            let crc = Fingerprint(value: Fingerprint.compute(over: bytes))
            STUNMessage.appendAttribute(.fingerprint, crc.encodedValue(transactionID: transactionID)[...], to: &bytes)
        }
        bytes.setUInt16(UInt16(clamping: bytes.count - STUNMessage.headerLength), at: 2)
        return bytes
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY, against the bytes
    /// this message was decoded from. A message built in memory (never decoded) is `.absent`.
    public func verifyIntegrity(key: [UInt8]) -> STUNIntegrityCheck {
        guard let wire else { return .absent }
        if let index = attributes.firstIndex(where: { $0.type == .messageIntegritySHA256 }) {
            let expected = attributes[index].value
            guard (16...32).contains(expected.count) else { return .invalid }
            var covered = Array(wire.bytes[0..<wire.offsets[index]])
            covered.setUInt16(UInt16(clamping: covered.count - STUNMessage.headerLength + 4 + expected.count), at: 2)
            let mac = Array(HMAC<SHA256>.authenticationCode(for: covered, using: SymmetricKey(data: key)))
            return constantTimeEqual(Array(mac.prefix(expected.count)), expected) ? .valid(sha256: true) : .invalid
        }
        if let index = attributes.firstIndex(where: { $0.type == .messageIntegrity }) {
            let expected = attributes[index].value
            guard expected.count == 20 else { return .invalid }
            var covered = Array(wire.bytes[0..<wire.offsets[index]])
            covered.setUInt16(UInt16(clamping: covered.count - STUNMessage.headerLength + 24), at: 2)
            let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: covered, using: SymmetricKey(data: key)))
            return constantTimeEqual(mac, expected) ? .valid(sha256: false) : .invalid
        }
        return .absent
    }

    static func appendAttribute(_ type: STUNAttributeType, _ value: ArraySlice<UInt8>, to bytes: inout [UInt8]) {
        bytes.appendUInt16(type.rawValue)
        bytes.appendUInt16(UInt16(clamping: value.count))
        bytes += value
        let padding = (4 - value.count % 4) % 4
        if padding > 0 { bytes += repeatElement(0, count: padding) }
    }
}

/// Compares without an early exit, so timing does not reveal how many bytes matched.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
