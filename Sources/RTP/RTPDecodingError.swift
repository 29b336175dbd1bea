/// Why a datagram is not a valid RTP packet or RTCP compound packet.
public enum RTPDecodingError: Error, Hashable, Sendable {
    /// Fewer bytes than a fixed header, the CSRC list or the extension header needs.
    case truncated
    /// The version bits are not 2 (RFC 3550 section 5.1, 6.4.1).
    case badVersion
    /// The P bit is set but the padding count is zero or larger than the packet can hold, or
    /// an RTCP packet other than the last one in a compound is padded (RFC 3550 section 6.4.1).
    case badPadding
    /// The RTP header extension's length runs past the end of the packet (RFC 3550 5.3.1).
    case badExtensionLength
    /// An RFC 8285 header extension element runs past the end of the extension block.
    case malformedExtensionElement
    /// An RTCP packet's length field points past the end of the datagram.
    case badLength
    /// A sender or receiver report is shorter than its sender info or announced report blocks.
    case malformedReport
    /// An SDES chunk or item runs past the end of the packet (RFC 3550 section 6.5).
    case malformedSourceDescription
    /// A BYE lists more sources, or a longer reason, than the packet holds (RFC 3550 6.6).
    case malformedGoodbye
    /// A NACK, PLI, FIR or REMB is shorter than its feedback message type needs.
    case malformedFeedback
    /// A transport-wide congestion control feedback's chunks or deltas do not fit the packet,
    /// or use the reserved status symbol.
    case malformedTransportFeedback
}
