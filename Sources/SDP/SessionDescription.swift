/// A parsed session description (RFC 8866): the session-level lines, then one
/// ``MediaDescription`` per m= section, in the order they were written.
///
/// Nothing is dropped: attributes Parley does not interpret are kept as
/// ``SDPAttribute/other(name:value:)``, and the rarely used line types in ``otherLines``, so a
/// description can be inspected or written back whole.
public struct SessionDescription: Hashable, Sendable {
    public var origin: Origin
    /// `s=`; browsers write `-`.
    public var sessionName: String
    /// A session-level `c=`; WebRTC puts it in each m= section instead.
    public var connection: Connection?
    public var bandwidths: [Bandwidth]
    public var timing: Timing
    /// Session-level `a=` lines, in order.
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]
    /// `i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`: defined by RFC 8866, unused by WebRTC, kept verbatim.
    public var otherLines: [SDPLine]

    public init(
        origin: Origin, sessionName: String = "-", connection: Connection? = nil, bandwidths: [Bandwidth] = [],
        timing: Timing = Timing(start: 0, stop: 0), attributes: [SDPAttribute] = [], media: [MediaDescription] = [],
        otherLines: [SDPLine] = []
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = otherLines
    }

    /// The m= section with this `a=mid`, if any.
    public func media(mid: String) -> MediaDescription? { media.first { $0.mid == mid } }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 5.2).
public struct Origin: Hashable, Sendable {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(
        username: String = "-", sessionID: UInt64, sessionVersion: UInt64, networkType: String = "IN",
        addressType: String = "IP4", address: String = "127.0.0.1"
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 section 5.7).
public struct Connection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String, address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// The connection line for an IP address: IP6 when it has a colon, IP4 otherwise.
    public init(ipAddress: String) {
        self.init(addressType: ipAddress.contains(":") ? "IP6" : "IP4", address: ipAddress)
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 section 5.8), e.g. `AS:2000` in kilobits per second.
public struct Bandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }
}

/// `t=<start-time> <stop-time>` (RFC 8866 section 5.9); `0 0` for an unbounded session.
public struct Timing: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64

    public init(start: UInt64, stop: UInt64) {
        self.start = start
        self.stop = stop
    }
}

/// A line kept as written: its type letter and the text after `=`.
public struct SDPLine: Hashable, Sendable {
    public var type: Character
    public var value: String

    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }
}

/// The media type of an m= line (RFC 8866 section 5.14).
public enum MediaKind: Hashable, Sendable {
    case audio
    case video
    /// Data channels (`m=application ... UDP/DTLS/SCTP webrtc-datachannel`, RFC 8841).
    case application
    /// Any other media type (`text`, `message`, ...), kept by name.
    case other(String)

    public init(token: String) {
        switch token {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(token)
        }
    }

    public var token: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .other(let token): token
        }
    }
}

/// The direction of an m= section (RFC 8866 section 6.7), from the writer's point of view.
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv
    case sendonly
    case recvonly
    case inactive

    /// The direction an answerer that mirrors the offer takes (RFC 3264 section 6.1): what the
    /// offerer sends, the answerer receives.
    public var reversed: MediaDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }
}

/// One m= section: the m= line's fields, then its own lines.
public struct MediaDescription: Hashable, Sendable {
    public var kind: MediaKind
    /// 0 means rejected (RFC 3264 section 6) unless `a=bundle-only` (RFC 8843).
    public var port: UInt16
    /// The `/<number of ports>` of the m= line, when written.
    public var portCount: UInt16?
    /// `UDP/TLS/RTP/SAVPF` for WebRTC media, `UDP/DTLS/SCTP` for data channels.
    public var transportProtocol: String
    /// The formats: payload type numbers for RTP, `webrtc-datachannel` for SCTP.
    public var formats: [String]
    public var connection: Connection?
    public var bandwidths: [Bandwidth]
    /// The section's `a=` lines, in order.
    public var attributes: [SDPAttribute]
    /// `i=` and `k=` lines, kept verbatim.
    public var otherLines: [SDPLine]

    public init(
        kind: MediaKind, port: UInt16, portCount: UInt16? = nil, transportProtocol: String, formats: [String],
        connection: Connection? = nil, bandwidths: [Bandwidth] = [], attributes: [SDPAttribute] = [],
        otherLines: [SDPLine] = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.transportProtocol = transportProtocol
        self.formats = formats
        self.connection = connection
        self.bandwidths = bandwidths
        self.attributes = attributes
        self.otherLines = otherLines
    }

    /// True for RTP profiles (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, ...), whose formats are payload types.
    public var isRTP: Bool { Self.isRTP(transportProtocol: transportProtocol) }

    static func isRTP(transportProtocol: String) -> Bool {
        transportProtocol.split(separator: "/").contains("RTP")
    }

    /// The formats as payload types; empty for non-RTP sections (the parser checked they are numbers).
    public var payloadTypes: [UInt8] { isRTP ? formats.compactMap { UInt8($0) } : [] }
}
