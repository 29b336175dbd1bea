/// One `a=` line. The attributes WebRTC negotiates with have a case each, with their fields
/// parsed; every other attribute is kept as ``other(name:value:)`` so nothing is lost.
public enum SDPAttribute: Hashable, Sendable {
    /// `a=group:BUNDLE 0 1 2` (RFC 5888, RFC 8843).
    case group(semantics: String, mids: [String])
    /// `a=extmap-allow-mixed`: one- and two-byte header extensions may be mixed (RFC 8285 section 6).
    case extmapAllowMixed
    /// `a=msid-semantic: WMS *`, Chromium's legacy session-level msid marker.
    case msidSemantic(semantics: String, identifiers: [String])
    /// `a=ice-lite`: the endpoint answers checks and never sends them (RFC 8445 section 2.5).
    case iceLite
    /// `a=ice-ufrag` (RFC 8839 section 5.4).
    case iceUsernameFragment(String)
    /// `a=ice-pwd` (RFC 8839 section 5.4).
    case icePassword(String)
    /// `a=ice-options:trickle` (RFC 8839 section 5.6).
    case iceOptions([String])
    /// `a=fingerprint` of the DTLS certificate (RFC 8122 section 5).
    case fingerprint(Fingerprint)
    /// `a=setup` (RFC 4145 section 4): who opens the DTLS connection.
    case setup(SetupRole)
    /// `a=mid` (RFC 5888 section 4).
    case mid(String)
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`.
    case direction(MediaDirection)
    /// `a=rtcp-mux`: RTCP on the RTP port (RFC 5761).
    case rtcpMux
    /// `a=rtcp-rsize`: reduced-size RTCP (RFC 5506).
    case rtcpReducedSize
    /// `a=rtpmap` (RFC 8866 section 6.6).
    case rtpMap(RTPMap)
    /// `a=fmtp` (RFC 8866 section 6.15).
    case formatParameters(FormatParameters)
    /// `a=rtcp-fb` (RFC 4585 section 4.2).
    case rtcpFeedback(RTCPFeedback)
    /// `a=extmap` (RFC 8285 section 8).
    case extensionMap(ExtensionMap)
    /// `a=ssrc` (RFC 5576 section 4.1).
    case ssrc(SSRCAttribute)
    /// `a=ssrc-group` (RFC 5576 section 4.2).
    case ssrcGroup(SSRCGroup)
    /// `a=msid` (RFC 8830 section 2).
    case msid(MediaStreamID)
    /// `a=candidate` (RFC 8839 section 5.1).
    case candidate(Candidate)
    /// `a=end-of-candidates` (RFC 8840 section 8.2).
    case endOfCandidates
    /// `a=sctp-port` (RFC 8841 section 5).
    case sctpPort(UInt16)
    /// `a=max-message-size` (RFC 8841 section 6).
    case maxMessageSize(UInt64)
    /// Any other attribute; `value` is nil for a property attribute (`a=name` without a colon).
    case other(name: String, value: String?)
}

/// `a=setup` values (RFC 4145 section 4). The offerer says `actpass`; the answerer picks.
public enum SetupRole: String, Hashable, Sendable, CaseIterable {
    case actpass
    /// Opens the connection: the DTLS client.
    case active
    /// Waits for the connection: the DTLS server.
    case passive
    case holdconn
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`.
public struct RTPMap: Hashable, Sendable {
    public var payloadType: UInt8
    /// As written (`opus`, `VP8`, `H264`, `rtx`); compare case-insensitively (RFC 4855 section 3).
    public var encodingName: String
    public var clockRate: UInt32
    /// Audio channels, when written (`opus/48000/2`).
    public var channels: UInt8?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt8? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    /// True when the encoding name is `name`, ignoring case.
    public func isEncoding(_ name: String) -> Bool { encodingName.lowercased() == name.lowercased() }
}

/// `a=fmtp:<payload type> <parameters>`: the codec's parameters, kept as written.
public struct FormatParameters: Hashable, Sendable {
    public var payloadType: UInt8
    /// `minptime=10;useinbandfec=1`, `apt=96`, ...
    public var parameters: String

    public init(payloadType: UInt8, parameters: String) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    /// The value of `key` in a `key=value;key=value` list, the key compared without case
    /// (RFC 6184 and RFC 7587 media type parameters are case-insensitive).
    public func value(for key: String) -> String? {
        let key = key.lowercased()
        for pair in parameters.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if parts[0].trimmingSpaces.lowercased() == key { return String(parts[1].trimmingSpaces) }
        }
        return nil
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameter>]` (RFC 4585 section 4.2).
public struct RTCPFeedback: Hashable, Sendable {
    /// nil for `*`: every payload type of the section.
    public var payloadType: UInt8?
    /// `nack`, `ccm`, `goog-remb`, `transport-cc`, ...
    public var type: String
    /// `pli` in `nack pli`, `fir` in `ccm fir`.
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<attributes>]` (RFC 8285 section 8).
public struct ExtensionMap: Hashable, Sendable {
    /// 1...14 fits the one-byte form, up to 255 needs the two-byte form.
    public var id: UInt16
    public var direction: MediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 section 4.1), e.g. `cname:abc`, `msid:s t`.
public struct SSRCAttribute: Hashable, Sendable {
    public var ssrc: UInt32
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }
}

/// `a=ssrc-group:<semantics> <ssrc> ...` (RFC 5576 section 4.2): `FID` pairs a stream with its
/// retransmission stream (RFC 4588), `SIM` lists simulcast layers.
public struct SSRCGroup: Hashable, Sendable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 section 2); `-` as stream id means no stream.
public struct MediaStreamID: Hashable, Sendable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }
}

/// A certificate fingerprint (RFC 8122 section 5): the hash function's name and the digest.
public struct Fingerprint: Hashable, Sendable {
    /// As written, e.g. `sha-256`; compare case-insensitively.
    public var hashFunction: String
    public var bytes: [UInt8]

    public init(hashFunction: String, bytes: [UInt8]) {
        self.hashFunction = hashFunction
        self.bytes = bytes
    }

    /// Parses `sha-256 AB:CD:...`, the value of `a=fingerprint`.
    public init(parsing text: String) throws(SDPError.Reason) {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2, isToken(fields[0]) else { throw .badFingerprint }
        let pairs = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        // SHA-512, the longest hash RFC 8122 lists, has 64 bytes.
        guard (1...64).contains(pairs.count) else { throw .badFingerprint }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pairs.count)
        for pair in pairs {
            guard pair.utf8.count == 2, pair.utf8.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else {
                throw .badFingerprint
            }
            bytes.append(byte)
        }
        self.init(hashFunction: String(fields[0]), bytes: bytes)
    }

    /// `AB:CD:...`, upper case as RFC 8122 section 5 writes it.
    public var hexText: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0" + digits : digits
        }.joined(separator: ":")
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// RFC 8866 section 9 `token`: visible ASCII except the separators `"(),/:;<=>?@[\]{}` and space.
func isToken<S: StringProtocol>(_ text: S) -> Bool {
    !text.isEmpty
        && text.utf8.allSatisfy { byte in
            switch byte {
            case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: true
            default: false
            }
        }
}
