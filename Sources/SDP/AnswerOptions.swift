/// What the server contributes to an answer: its ICE credentials, its DTLS certificate's
/// fingerprint, where it listens, and the o= numbers. All passed in, so answering is a pure
/// function of the offer and these values (the caller draws the random ufrag and password).
public struct AnswerOptions: Hashable, Sendable {
    /// 4 to 256 ice-chars (RFC 8839 section 5.4).
    public var iceUsernameFragment: String
    /// 22 to 256 ice-chars (RFC 8839 section 5.4).
    public var icePassword: String
    /// The SHA-256 fingerprint of the certificate the server's DTLS handshake presents.
    public var fingerprint: Fingerprint
    /// The server's candidates, usually ``Candidate/udpHost(address:port:foundation:localPreference:)``
    /// for each address it listens on; the first one is also the m= and c= lines' default.
    public var candidates: [Candidate]
    /// `o=` session id: the caller keeps it for the session's lifetime (RFC 8866 section 5.2).
    public var sessionID: UInt64
    /// `o=` session version: the caller increases it with every new description.
    public var sessionVersion: UInt64
    /// What the server sends on each section (by mid) that it sends on: its own SSRCs, so the
    /// browser ties what it receives to a track of its own (RFC 5576, RFC 8830). A sending
    /// section without an entry announces none, and the browser must go by the mid.
    public var outgoing: [String: OutgoingStream] = [:]
    /// The `a=msid` stream id of everything the server sends: one remote MediaStream.
    public var mediaStreamID = "parley"
    /// The RTCP CNAME of the server's SSRCs (RFC 7022): one per session ties them for lip sync.
    public var canonicalName = "parley"

    public init(
        iceUsernameFragment: String, icePassword: String, fingerprint: Fingerprint, candidates: [Candidate],
        sessionID: UInt64, sessionVersion: UInt64
    ) {
        self.iceUsernameFragment = iceUsernameFragment
        self.icePassword = icePassword
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
    }
}

/// The server's SSRCs for one section: the media stream and, when RTX was agreed, its
/// retransmission stream (RFC 4588), paired by `a=ssrc-group:FID`.
public struct OutgoingStream: Hashable, Sendable {
    public var ssrc: UInt32
    public var rtxSSRC: UInt32?

    public init(ssrc: UInt32, rtxSSRC: UInt32? = nil) {
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
    }
}

/// Why an offer cannot be answered at all (individual m= sections are rejected instead).
public enum AnswerError: Error, Hashable, Sendable {
    /// Two m= sections carry the same `a=mid`, so bundled packets could not be told apart.
    case duplicateMid(String)
    /// The transport's section (or the session) has no `a=ice-ufrag` or `a=ice-pwd`.
    case missingICECredentials(mid: String)
    /// No `a=fingerprint`: the browser's DTLS certificate could not be checked (RFC 8122).
    case missingFingerprint(mid: String)
    /// The offer wants to be the DTLS server too (`passive`), or holds the connection; Parley
    /// can only be the server, since an ICE-lite endpoint never starts anything.
    case incompatibleSetup(SetupRole)
}
