/// Why a datagram is not a valid STUN message or ChannelData frame.
public enum STUNDecodingError: Error, Hashable, Sendable {
    /// Fewer bytes than the header or a declared length needs.
    case truncated
    /// The first two bits are not zero, so this is not STUN (RFC 8489 section 5).
    case notSTUN
    /// The magic cookie is not 0x2112A442 (RFC 8489 section 5).
    case badMagicCookie
    /// The message length is not a multiple of four or does not match the datagram.
    case badLength
    /// An attribute runs past the end of the message.
    case attributeOverflow
    /// More attributes than any legitimate message carries.
    case tooManyAttributes
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 section 14.7).
    case attributeAfterFingerprint
    /// FINGERPRINT does not match the message.
    case badFingerprint
    /// An attribute's value has the wrong size or content for its type.
    case malformedAttribute(STUNAttributeType)
    /// The channel number is outside ``ChannelNumber/validRange``.
    case badChannelNumber
}
