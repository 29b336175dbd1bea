/// What went wrong in DTLS-SRTP or SRTP, with the C library's own words for it.
///
/// The media engine logs these and counts SRTP failures (RFC 3711 section 3.3 says an
/// unauthenticated or replayed packet is to be dropped, so most are routine), so each case
/// names the operation and carries the OpenSSL error text or the libsrtp status code.
public enum MediaCryptoError: Error, Hashable, CustomStringConvertible {
    /// An OpenSSL call failed; `reason` is its error queue (`ERR_error_string_n`).
    case openSSL(operation: String, reason: String)
    /// A libsrtp call returned a status other than `srtp_err_status_ok`.
    case srtp(operation: String, status: Int32)
    /// A key, salt or parameter of the wrong size or value.
    case invalidArgument(String)
    /// A packet over the size this wrapper accepts (one UDP datagram on an Ethernet path).
    case packetTooLarge(size: Int, maximum: Int)
    /// A packet too short or inconsistent to be RTP or RTCP (RFC 3550 sections 5.1, 6.4).
    case malformedPacket(String)

    public var description: String {
        switch self {
        case .openSSL(let operation, let reason):
            return "OpenSSL \(operation) failed: \(reason)"
        case .srtp(let operation, let status):
            return "libsrtp \(operation) failed: \(Self.srtpStatusName(status)) (\(status))"
        case .invalidArgument(let what):
            return "invalid argument: \(what)"
        case .packetTooLarge(let size, let maximum):
            return "packet of \(size) bytes is over the \(maximum)-byte limit"
        case .malformedPacket(let what):
            return "malformed packet: \(what)"
        }
    }

    /// libsrtp's `srtp_err_status_t` names (srtp2/srtp.h) for the codes a caller can meet.
    static func srtpStatusName(_ status: Int32) -> String {
        switch status {
        case 1: return "fail"
        case 2: return "bad_param"
        case 3: return "alloc_fail"
        case 5: return "init_fail"
        case 7: return "auth_fail"
        case 8: return "cipher_fail"
        case 9: return "replay_fail"
        case 10: return "replay_old"
        case 11: return "algo_fail"
        case 13: return "no_ctx"
        case 15: return "key_expired"
        case 21: return "parse_err"
        case 25: return "bad_mki"
        case 26: return "pkt_idx_old"
        case 27: return "pkt_idx_adv"
        default: return "status"
        }
    }
}
