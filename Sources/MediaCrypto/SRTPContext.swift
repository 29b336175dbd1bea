import CSRTP

/// One direction of SRTP+SRTCP for one DTLS association (libsrtp2 srtp_t). Not Sendable.
///
/// Media is encrypted and authenticated with the keys DTLS exported (RFC 5764 section 4.2):
/// inbound contexts use the peer's key and accept any SSRC the peer authenticates, outbound
/// ones use this side's key for any SSRC it sends (libsrtp `ssrc_any_*`). Replays are refused
/// inbound with a 1024-packet window (RFC 3711 section 3.3.2); outbound may protect the same
/// packet twice, as an RTX-less retransmission re-sends it as it was (RFC 4585 NACK handling).
///
/// Protect grows a packet by its trailer (RFC 3711 section 3.1: the authentication tag; SRTCP
/// adds its 4-byte index, section 3.4), unprotect shrinks it. Packets over 1500 bytes are refused.
public final class SRTPContext {
    public enum Direction: Sendable { case inbound, outbound }

    /// The largest packet accepted by any operation: one Ethernet-MTU datagram.
    public static let maximumPacketSize = 1500
    /// Room libsrtp may write past the packet on protect (its srtp.h: SRTP_MAX_TRAILER_LEN + 4).
    static let trailerRoom = Int(SRTP_MAX_TRAILER_LEN) + 4

    public let profile: SRTPProtectionProfile
    public let direction: Direction
    private let session: srtp_t

    public init(profile: SRTPProtectionProfile, key: [UInt8], salt: [UInt8], direction: Direction)
        throws(MediaCryptoError)
    {
        try SRTPLibrary.ensureInitialized()
        guard key.count == profile.keyLength else {
            throw .invalidArgument("\(profile) key is \(profile.keyLength) bytes, not \(key.count)")
        }
        guard salt.count == profile.saltLength else {
            throw .invalidArgument("\(profile) salt is \(profile.saltLength) bytes, not \(salt.count)")
        }
        var policy = srtp_policy_t()
        switch profile {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
        switch direction {
        case .inbound:
            policy.ssrc.type = ssrc_any_inbound
            policy.allow_repeat_tx = 0
        case .outbound:
            policy.ssrc.type = ssrc_any_outbound
            policy.allow_repeat_tx = 1
        }
        policy.window_size = 1024
        policy.next = nil
        // libsrtp takes key and salt as one buffer and derives session keys from it (RFC 3711
        // section 4.3); it keeps no pointer to it.
        var master = key + salt
        defer {
            for index in master.indices { master[index] = 0 }
        }
        var session: srtp_t?
        let status = master.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&session, &policy)
        }
        guard status == srtp_err_status_ok, let session else {
            throw .srtp(operation: "srtp_create", status: Int32(bitPattern: status.rawValue))
        }
        self.profile = profile
        self.direction = direction
        self.session = session
    }

    deinit {
        srtp_dealloc(session)
    }

    /// Encrypts and authenticates an RTP packet in place (RFC 3711 section 3.1, RFC 7714 section 8).
    public func protectRTP(_ packet: inout [UInt8]) throws(MediaCryptoError) {
        try RTPFraming.checkRTP(packet)
        try grow(&packet, operation: "srtp_protect") { srtp_protect(session, $0, $1) }
    }

    /// Authenticates and decrypts an SRTP packet in place; throws on a bad tag or a replay, after
    /// which the packet is only fit to be dropped.
    public func unprotectRTP(_ packet: inout [UInt8]) throws(MediaCryptoError) {
        try RTPFraming.checkRTP(packet)
        try shrink(&packet, operation: "srtp_unprotect") { srtp_unprotect(session, $0, $1) }
    }

    /// Encrypts and authenticates a (compound) RTCP packet in place (RFC 3711 section 3.4).
    public func protectRTCP(_ packet: inout [UInt8]) throws(MediaCryptoError) {
        try RTPFraming.checkRTCP(packet)
        try grow(&packet, operation: "srtp_protect_rtcp") { srtp_protect_rtcp(session, $0, $1) }
    }

    /// Authenticates and decrypts an SRTCP packet in place; throws on a bad tag or a replay, after
    /// which the packet is only fit to be dropped.
    public func unprotectRTCP(_ packet: inout [UInt8]) throws(MediaCryptoError) {
        try RTPFraming.checkRTCP(packet)
        try shrink(&packet, operation: "srtp_unprotect_rtcp") { srtp_unprotect_rtcp(session, $0, $1) }
    }

    /// Gives libsrtp the trailer room it writes into, then trims to the length it reports.
    private func grow(
        _ packet: inout [UInt8], operation: String,
        _ call: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(MediaCryptoError) {
        let original = packet.count
        packet.append(contentsOf: repeatElement(0, count: Self.trailerRoom))
        var length = Int32(original)
        let status = packet.withUnsafeMutableBytes { bytes -> srtp_err_status_t in
            guard let base = bytes.baseAddress else { return srtp_err_status_bad_param }
            return call(base, &length)
        }
        guard status == srtp_err_status_ok, length >= Int32(original), Int(length) <= packet.count else {
            packet.removeSubrange(original...)
            throw .srtp(operation: operation, status: Int32(bitPattern: status.rawValue))
        }
        packet.removeSubrange(Int(length)...)
    }

    /// Lets libsrtp check and decrypt in place, then trims to the length it reports.
    private func shrink(
        _ packet: inout [UInt8], operation: String,
        _ call: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(MediaCryptoError) {
        var length = Int32(packet.count)
        let status = packet.withUnsafeMutableBytes { bytes -> srtp_err_status_t in
            guard let base = bytes.baseAddress else { return srtp_err_status_bad_param }
            return call(base, &length)
        }
        // On failure libsrtp may have decrypted part of it in place: the packet is only fit to be
        // dropped, which is what every caller does. Keeping a copy to restore it would cost an
        // allocation on every packet of the media path.
        guard status == srtp_err_status_ok, length >= 0, Int(length) <= packet.count else {
            throw .srtp(operation: operation, status: Int32(bitPattern: status.rawValue))
        }
        packet.removeSubrange(Int(length)...)
    }
}
