import STUN

/// What an ``EchoSession`` asks its IO shell to do, or tells it.
public enum EchoSessionOutput: Sendable, Hashable {
    /// Send this datagram to that address from the media port.
    case send([UInt8], to: TransportAddress)
    /// ICE authenticated this browser address: datagrams from it belong to this session.
    case authenticated(TransportAddress)
    /// DTLS is up and SRTP keys are agreed: media flows from now on.
    case connected
    /// The session is over; the IO shell forgets it (and every address it had).
    case ended(EchoSessionEnd)
}

/// Why an echo session ended.
public enum EchoSessionEnd: Sendable, Hashable, CustomStringConvertible {
    /// No authenticated ICE check from the browser for the consent timeout (RFC 7675).
    case consentLost
    /// ICE and DTLS did not complete within the setup timeout.
    case setupTimedOut
    /// The DTLS handshake failed: a fingerprint that did not match the offer's, or a protocol error.
    case handshakeFailed(String)
    /// The browser sent close_notify, or the service closed the session.
    case closed

    public var description: String {
        switch self {
        case .consentLost: "the browser stopped answering (ICE consent lost)"
        case .setupTimedOut: "ICE and DTLS did not complete in time"
        case .handshakeFailed(let reason): "DTLS handshake failed: \(reason)"
        case .closed: "closed"
        }
    }
}
