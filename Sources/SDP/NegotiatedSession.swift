/// What an answer agreed to, in the shape the media engine uses: per m= section, which payload
/// types mean which codec, which header extension ids to read, and which SSRCs the browser said
/// it will send.
public struct NegotiatedSession: Hashable, Sendable {
    /// The accepted m= sections, in the offer's order.
    public var media: [NegotiatedMedia]
    /// The answer's BUNDLE group; empty when the offer had none.
    public var bundle: [String]
    /// The browser's ICE credentials: its ufrag is the second half of the USERNAME in its checks.
    public var remoteICEUsernameFragment: String
    public var remoteICEPassword: String
    /// The browser's certificate fingerprints; its DTLS certificate must match one of them.
    public var remoteFingerprints: [Fingerprint]

    public init(
        media: [NegotiatedMedia], bundle: [String], remoteICEUsernameFragment: String, remoteICEPassword: String,
        remoteFingerprints: [Fingerprint]
    ) {
        self.media = media
        self.bundle = bundle
        self.remoteICEUsernameFragment = remoteICEUsernameFragment
        self.remoteICEPassword = remoteICEPassword
        self.remoteFingerprints = remoteFingerprints
    }

    public func media(mid: String) -> NegotiatedMedia? { media.first { $0.mid == mid } }
}

/// One accepted m= section.
public struct NegotiatedMedia: Hashable, Sendable {
    public var mid: String
    public var kind: MediaKind
    /// The answer's direction, from the server's point of view.
    public var direction: MediaDirection
    /// The accepted codecs, most preferred first, each with its retransmission payload type.
    public var codecs: [NegotiatedCodec]
    /// The header extensions both sides use, with the offer's ids.
    public var headerExtensions: [ExtensionMap]
    /// SSRCs the offer announced for this section (`a=ssrc`), in order.
    public var remoteSSRCs: [UInt32]
    /// The offer's `a=ssrc-group`s: `FID` pairs a stream with its RTX stream.
    public var remoteSSRCGroups: [SSRCGroup]
    public var rtcpMux: Bool
    public var rtcpReducedSize: Bool
    /// The SSRCs the answer announced for what the server sends here, if it sends.
    public var outgoing: OutgoingStream?

    public init(
        mid: String, kind: MediaKind, direction: MediaDirection, codecs: [NegotiatedCodec],
        headerExtensions: [ExtensionMap], remoteSSRCs: [UInt32], remoteSSRCGroups: [SSRCGroup], rtcpMux: Bool,
        rtcpReducedSize: Bool, outgoing: OutgoingStream? = nil
    ) {
        self.mid = mid
        self.kind = kind
        self.direction = direction
        self.codecs = codecs
        self.headerExtensions = headerExtensions
        self.remoteSSRCs = remoteSSRCs
        self.remoteSSRCGroups = remoteSSRCGroups
        self.rtcpMux = rtcpMux
        self.rtcpReducedSize = rtcpReducedSize
        self.outgoing = outgoing
    }

    /// Retransmission payload type → the payload type it repairs (the `apt=` parameter of RFC 4588 section 8).
    public var rtxPayloadTypes: [UInt8: UInt8] {
        var mapping: [UInt8: UInt8] = [:]
        for codec in codecs { if let rtx = codec.rtxPayloadType { mapping[rtx] = codec.payloadType } }
        return mapping
    }

    /// The id negotiated for a header extension URI, if it was kept.
    public func headerExtensionID(uri: String) -> UInt16? { headerExtensions.first { $0.uri == uri }?.id }
}

/// One accepted codec.
public struct NegotiatedCodec: Hashable, Sendable {
    public var payloadType: UInt8
    /// The encoding name as the offer wrote it (`opus`, `VP8`, `H264`).
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt8?
    /// The offer's `a=fmtp` for this payload type, if any.
    public var parameters: String?
    /// The RTCP feedback kept for it.
    public var rtcpFeedback: [RTCPFeedback]
    /// The payload type of its RTX stream (RFC 4588), when offered.
    public var rtxPayloadType: UInt8?

    public init(
        payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt8? = nil, parameters: String? = nil,
        rtcpFeedback: [RTCPFeedback] = [], rtxPayloadType: UInt8? = nil
    ) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.rtcpFeedback = rtcpFeedback
        self.rtxPayloadType = rtxPayloadType
    }
}
