/// The DTLS-SRTP protection profiles Parley offers (RFC 5764 section 4.1.2), GCM first.
///
/// `aeadAES128GCM` (RFC 7714 section 14.2) authenticates and encrypts in one pass and is what
/// current browsers prefer; `aes128CMHMACSHA1_80` (RFC 5764 section 4.1.2) is the profile every
/// WebRTC implementation must support, kept for peers without GCM.
public enum SRTPProtectionProfile: Sendable, Hashable {
    case aeadAES128GCM, aes128CMHMACSHA1_80

    /// Master key length in bytes (RFC 7714 section 14.2, RFC 5764 section 4.1.2).
    public var keyLength: Int { 16 }

    /// Master salt length in bytes: 96 bits for GCM, 112 for AES-CM.
    public var saltLength: Int {
        switch self {
        case .aeadAES128GCM: 12
        case .aes128CMHMACSHA1_80: 14
        }
    }

    /// The profile's name in OpenSSL's use_srtp list.
    var openSSLName: String {
        switch self {
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        case .aes128CMHMACSHA1_80: "SRTP_AES128_CM_SHA1_80"
        }
    }

    /// The profile's identifier on the wire (RFC 5764 section 4.1.2, RFC 7714 section 14.2).
    init?(identifier: UInt) {
        switch identifier {
        case 0x0007: self = .aeadAES128GCM
        case 0x0001: self = .aes128CMHMACSHA1_80
        default: return nil
        }
    }
}

/// Keys exported after the handshake (RFC 5764 §4.2): "local" is what this side protects with.
///
/// The DTLS client protects with the client write key and salt, the server with the server's
/// (RFC 5764 section 4.2), so the two ends of one association see the same four values with
/// local and remote swapped.
public struct SRTPKeyingMaterial: Sendable, Hashable {
    public var profile: SRTPProtectionProfile
    public var localKey: [UInt8]
    public var localSalt: [UInt8]
    public var remoteKey: [UInt8]
    public var remoteSalt: [UInt8]

    public init(
        profile: SRTPProtectionProfile, localKey: [UInt8], localSalt: [UInt8], remoteKey: [UInt8],
        remoteSalt: [UInt8]
    ) {
        self.profile = profile
        self.localKey = localKey
        self.localSalt = localSalt
        self.remoteKey = remoteKey
        self.remoteSalt = remoteSalt
    }

    /// The SRTP contexts for this association: inbound unprotects what the peer sends,
    /// outbound protects what this side sends.
    public func makeContexts() throws(MediaCryptoError) -> (inbound: SRTPContext, outbound: SRTPContext) {
        let inbound = try SRTPContext(profile: profile, key: remoteKey, salt: remoteSalt, direction: .inbound)
        let outbound = try SRTPContext(profile: profile, key: localKey, salt: localSalt, direction: .outbound)
        return (inbound, outbound)
    }
}
