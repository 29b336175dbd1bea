/// The magic cookie of every RFC 5389/8489 message (RFC 8489 section 5).
public let stunMagicCookie: UInt32 = 0x2112_A442

/// Reads the family/port/address layout shared by MAPPED-ADDRESS and the XOR-ed address
/// attributes (RFC 8489 sections 14.1 and 14.2); `xor` undoes the XOR with the cookie and
/// the transaction ID.
func decodeAddress(_ value: ArraySlice<UInt8>, xor transactionID: TransactionID?) -> TransportAddress? {
    var reader = ByteReader(Array(value))
    guard reader.readUInt8() != nil, let family = reader.readUInt8(), let rawPort = reader.readUInt16() else {
        return nil
    }
    let port = transactionID == nil ? rawPort : rawPort ^ UInt16(stunMagicCookie >> 16)
    let mask = transactionID.map { xorMask($0) }
    switch (family, reader.remaining) {
    case (0x01, 4):
        guard var bytes = reader.readBytes(4).map(Array.init) else { return nil }
        if let mask { for index in 0..<4 { bytes[index] ^= mask[index] } }
        return IPAddress(bytes: bytes).map { TransportAddress(ip: $0, port: port) }
    case (0x02, 16):
        guard var bytes = reader.readBytes(16).map(Array.init) else { return nil }
        if let mask { for index in 0..<16 { bytes[index] ^= mask[index] } }
        return IPAddress(bytes: bytes).map { TransportAddress(ip: $0, port: port) }
    default:
        return nil
    }
}

/// Writes the address layout; see ``decodeAddress(_:xor:)``.
func encodeAddress(_ address: TransportAddress, xor transactionID: TransactionID?) -> [UInt8] {
    var result: [UInt8] = [0, address.ip.isIPv4 ? 0x01 : 0x02]
    result.appendUInt16(transactionID == nil ? address.port : address.port ^ UInt16(stunMagicCookie >> 16))
    var bytes = address.ip.bytes
    if let transactionID {
        let mask = xorMask(transactionID)
        for index in bytes.indices { bytes[index] ^= mask[index] }
    }
    result += bytes
    return result
}

/// The magic cookie followed by the transaction ID: the XOR key for addresses.
private func xorMask(_ transactionID: TransactionID) -> [UInt8] {
    var mask: [UInt8] = []
    mask.appendUInt32(stunMagicCookie)
    return mask + transactionID.bytes
}
