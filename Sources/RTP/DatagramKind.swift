/// What a datagram on a WebRTC 5-tuple carries, told apart by its first byte (RFC 7983
/// section 7), and RTP from RTCP by the second (RFC 5761 section 4).
///
/// With BUNDLE and rtcp-mux, STUN, DTLS, SRTP and SRTCP all arrive on one socket; this is
/// the first decision for every datagram, so it reads at most two bytes and allocates nothing.
public enum DatagramKind: Hashable, Sendable {
    /// First byte 0...3.
    case stun
    /// First byte 20...63.
    case dtls
    /// First byte 128...191, second byte outside 192...223.
    case rtp
    /// First byte 128...191, second byte 192...223: RTCP packet types 192-223 (SR 200, RR 201,
    /// ..., feedback 205, 206) are the values RTP payload types must avoid with rtcp-mux.
    case rtcp
    /// Anything else: empty, ZRTP (16...19), TURN ChannelData (64...79), or no known protocol.
    case unknown

    public init(classifying datagram: ArraySlice<UInt8>) {
        guard let first = datagram.first else {
            self = .unknown
            return
        }
        switch first {
        case 0...3: self = .stun
        case 20...63: self = .dtls
        case 128...191:
            // A single byte cannot be RTP or RTCP; both headers are far longer.
            guard datagram.count >= 2 else {
                self = .unknown
                return
            }
            let second = datagram[datagram.startIndex + 1]
            self = (192...223).contains(second) ? .rtcp : .rtp
        default: self = .unknown
        }
    }

    public init(classifying datagram: [UInt8]) {
        self.init(classifying: datagram[...])
    }
}
