/// The 96-bit transaction ID of a STUN message (RFC 8489 section 5).
public struct TransactionID: Hashable, Sendable, CustomStringConvertible {
    /// The 12 bytes, in network order.
    public let bytes: [UInt8]

    /// Creates a transaction ID from exactly 12 bytes; `nil` otherwise.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == 12 else { return nil }
        self.bytes = Array(bytes)
    }

    /// A fresh random transaction ID.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> TransactionID {
        TransactionID(bytes: (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) })!
    }

    /// A fresh random transaction ID from the system generator.
    public static func random() -> TransactionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public var description: String { bytes.map { hexByte($0) }.joined() }
}

func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
