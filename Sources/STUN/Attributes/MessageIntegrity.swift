import Crypto

/// MESSAGE-INTEGRITY (RFC 8489 section 14.5): HMAC-SHA1 over the message up to this attribute,
/// with the header length counting up to and including it.
///
/// Computing and checking it needs the surrounding bytes, so ``STUNMessage`` does that
/// (`encode(integrity:fingerprint:)` and `verifyIntegrity(key:)`); this type only carries the 20 bytes.
public struct MessageIntegrity: STUNAttributeValue, Hashable {
    public static let attributeType = STUNAttributeType.messageIntegrity
    public var hmac: [UInt8]

    public init(hmac: [UInt8]) { self.hmac = hmac }

    public init(value: ArraySlice<UInt8>, transactionID: TransactionID) throws(STUNDecodingError) {
        guard value.count == 20 else { throw Self.malformed }
        hmac = Array(value)
    }

    public func encodedValue(transactionID: TransactionID) -> [UInt8] { hmac }

    /// The long-term credential key: MD5(username ":" realm ":" password) (RFC 8489 section 9.2.2).
    ///
    /// The password is used as given: TURN REST passwords are base64 and need no OpaqueString
    /// preparation.
    public static func longTermKey(username: String, realm: String, password: String) -> [UInt8] {
        Array(Insecure.MD5.hash(data: Array("\(username):\(realm):\(password)".utf8)))
    }

    /// The short-term credential key: the password itself (RFC 8489 section 9.1.1).
    public static func shortTermKey(password: String) -> [UInt8] { Array(password.utf8) }
}
