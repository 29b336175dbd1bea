/// FINGERPRINT (RFC 8489 section 14.7): CRC-32 of the message up to this attribute, XOR-ed
/// with 0x5354554E, so STUN can be told apart from other protocols on the same port.
/// Always the last attribute; computed and checked by ``STUNMessage``.
public struct Fingerprint: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.fingerprint
    public static let xorValue: UInt32 = 0x5354_554E
    public var value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        var reader = ByteReader(Array(value))
        guard value.count == 4, let crc = reader.readUInt32() else { throw Self.malformed }
        self.value = crc
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] {
        var result: [UInt8] = []
        result.appendUInt32(value)
        return result
    }

    /// The FINGERPRINT value for the given bytes.
    public static func compute<Bytes: Collection<UInt8>>(over bytes: Bytes) -> UInt32 {
        CRC32.checksum(bytes) ^ xorValue
    }
}

/// CRC-32 as in ISO 3309 / ITU-T V.42 (the zlib polynomial), table driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    static func checksum<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
