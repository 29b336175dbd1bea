/// The answer Parley's echo service gives a browser's offer (RFC 3264, RFC 8829 section 5.3),
/// and what it agreed to.
///
/// The server is ICE-lite and the DTLS server, runs one transport for everything (BUNDLE,
/// RFC 8843), and sends each stream back as it came, so it accepts only codecs it can pass
/// through unchanged and the browser surely decodes: Opus for audio, VP8 and H.264 for video.
public struct EchoAnswer: Hashable, Sendable {
    public var answer: SessionDescription
    public var negotiated: NegotiatedSession

    /// Header extensions the media engine understands or can pass through unchanged. Others
    /// (rtp-stream-id for simulcast, playout-delay, video-timing, color-space,
    /// dependency-descriptor, ...) are dropped on purpose: echoing them back could tell the
    /// browser things about the stream that are not true of what it receives.
    public static let keptHeaderExtensions: Set<String> = [
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:toffset",
        "urn:3gpp:video-orientation",
    ]

    /// RTCP feedback the media engine answers (type, parameter): NACK retransmission, picture
    /// loss, full intra request, and the two bandwidth estimates Chromium uses.
    public static let keptFeedback: Set<FeedbackKind> = [
        FeedbackKind(type: "nack", parameter: nil),
        FeedbackKind(type: "nack", parameter: "pli"),
        FeedbackKind(type: "ccm", parameter: "fir"),
        FeedbackKind(type: "goog-remb", parameter: nil),
        FeedbackKind(type: "transport-cc", parameter: nil),
    ]

    /// An `a=rtcp-fb` type and parameter without the payload type.
    public struct FeedbackKind: Hashable, Sendable {
        public var type: String
        public var parameter: String?

        public init(type: String, parameter: String?) {
            self.type = type
            self.parameter = parameter
        }
    }

    /// The H.264 profile Parley prefers when several are offered: Constrained Baseline level
    /// 3.1, which every browser decodes in hardware or software (RFC 6184 section 8.1).
    public static let preferredH264ProfileLevelID = "42e01f"

    /// Answers `offer`. Sections that cannot be echoed are rejected (port 0), never silently
    /// altered; only an offer whose transport itself is unusable throws.
    public init(offer: SessionDescription, options: AnswerOptions) throws(AnswerError) {
        var seenMids: Set<String> = []
        for case let mid? in offer.media.map(\.mid) {
            guard seenMids.insert(mid).inserted else { throw .duplicateMid(mid) }
        }

        let plans = Self.plan(offer: offer)
        let offerBundle = offer.bundleGroup
        let acceptedMids = Set(plans.compactMap { $0.accepted ? $0.mid : nil })
        // The answer's group keeps the offer's order (RFC 8843 section 7.3); its first mid is
        // the tagged section, whose transport every bundled section shares.
        let bundle = offerBundle.map { group in group.filter { acceptedMids.contains($0) } } ?? []
        let taggedMid = bundle.first ?? plans.first(where: \.accepted)?.mid

        var remote: (ufrag: String, password: String, fingerprints: [Fingerprint]) = ("", "", [])
        if let taggedMid, let section = offer.media(mid: taggedMid) {
            remote = try Self.remoteTransport(offer: offer, section: section, mid: taggedMid)
        }

        let defaultCandidate = options.candidates.first
        let connection = Connection(ipAddress: defaultCandidate?.address ?? "0.0.0.0")
        var sections: [MediaDescription] = []
        var negotiated: [NegotiatedMedia] = []
        for (offered, plan) in zip(offer.media, plans) {
            guard plan.accepted, let mid = plan.mid else {
                sections.append(Self.rejected(offered))
                continue
            }
            var attributes: [SDPAttribute] = []
            if mid == taggedMid {
                // Candidates only in the tagged section: the others share its transport.
                attributes += options.candidates.map(SDPAttribute.candidate)
                attributes.append(.endOfCandidates)
            }
            attributes += [
                .iceUsernameFragment(options.iceUsernameFragment),
                .icePassword(options.icePassword),
                .fingerprint(options.fingerprint),
                // An ICE-lite server learns the browser's address only from its checks, so it waits
                // for the ClientHello rather than sending one: the DTLS server (RFC 5763 section 5).
                .setup(.passive),
                .mid(mid),
            ]
            attributes += plan.extensions.map(SDPAttribute.extensionMap)
            attributes.append(.direction(plan.direction))
            var outgoing: OutgoingStream?
            if plan.direction == .sendrecv || plan.direction == .sendonly, let stream = options.outgoing[mid] {
                // RTX only if a codec of this section has it; else the browser would expect a
                // repair stream that never comes.
                let hasRTX = plan.codecs.contains { $0.rtxPayloadType != nil }
                let announced = OutgoingStream(ssrc: stream.ssrc, rtxSSRC: hasRTX ? stream.rtxSSRC : nil)
                attributes += Self.sourceAttributes(announced, mid: mid, options: options)
                outgoing = announced
            }
            let rtcpMux = offered.attributes.contains(.rtcpMux)
            let rtcpReducedSize = offered.attributes.contains(.rtcpReducedSize)
            if rtcpMux { attributes.append(.rtcpMux) }
            if rtcpReducedSize { attributes.append(.rtcpReducedSize) }
            var formats: [String] = []
            for codec in plan.codecs {
                formats.append(String(codec.payloadType))
                attributes.append(
                    .rtpMap(
                        RTPMap(
                            payloadType: codec.payloadType, encodingName: codec.name, clockRate: codec.clockRate,
                            channels: codec.channels)))
                attributes += codec.rtcpFeedback.map(SDPAttribute.rtcpFeedback)
                if let parameters = codec.parameters {
                    attributes.append(
                        .formatParameters(FormatParameters(payloadType: codec.payloadType, parameters: parameters)))
                }
                if let rtx = codec.rtxPayloadType {
                    formats.append(String(rtx))
                    attributes.append(
                        .rtpMap(RTPMap(payloadType: rtx, encodingName: "rtx", clockRate: codec.clockRate)))
                    attributes.append(
                        .formatParameters(FormatParameters(payloadType: rtx, parameters: "apt=\(codec.payloadType)")))
                }
            }
            // Every bundled section carries the same port, as browsers' own answers do: a zero
            // port without bundle-only would read as rejected.
            sections.append(
                MediaDescription(
                    kind: offered.kind, port: defaultCandidate?.port ?? 9, transportProtocol: offered.transportProtocol,
                    formats: formats, connection: connection, attributes: attributes))
            negotiated.append(
                NegotiatedMedia(
                    mid: mid, kind: offered.kind, direction: plan.direction, codecs: plan.codecs,
                    headerExtensions: plan.extensions, remoteSSRCs: offered.ssrcs, remoteSSRCGroups: offered.ssrcGroups,
                    rtcpMux: rtcpMux, rtcpReducedSize: rtcpReducedSize, outgoing: outgoing))
        }

        var sessionAttributes: [SDPAttribute] = []
        if offerBundle != nil, !bundle.isEmpty { sessionAttributes.append(.group(semantics: "BUNDLE", mids: bundle)) }
        // The RTP target reads both header extension forms, so mixing them is fine to accept.
        if offer.attributes.contains(.extmapAllowMixed) { sessionAttributes.append(.extmapAllowMixed) }
        sessionAttributes.append(.iceLite)

        answer = SessionDescription(
            origin: Origin(sessionID: options.sessionID, sessionVersion: options.sessionVersion),
            attributes: sessionAttributes, media: sections)
        self.negotiated = NegotiatedSession(
            media: negotiated, bundle: bundle, remoteICEUsernameFragment: remote.ufrag,
            remoteICEPassword: remote.password, remoteFingerprints: remote.fingerprints)
    }

    /// `a=msid`, then `a=ssrc-group:FID` and `a=ssrc` lines (cname and msid for each SSRC), in
    /// the order Chromium writes its own.
    private static func sourceAttributes(_ stream: OutgoingStream, mid: String, options: AnswerOptions)
        -> [SDPAttribute]
    {
        let msid = MediaStreamID(streamID: options.mediaStreamID, trackID: "\(options.mediaStreamID)-\(mid)")
        let ssrcs = [stream.ssrc] + (stream.rtxSSRC.map { [$0] } ?? [])
        var attributes: [SDPAttribute] = [.msid(msid)]
        if ssrcs.count == 2 { attributes.append(.ssrcGroup(SSRCGroup(semantics: "FID", ssrcs: ssrcs))) }
        for ssrc in ssrcs {
            attributes.append(.ssrc(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: options.canonicalName)))
            attributes.append(
                .ssrc(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: "\(msid.streamID) \(msid.trackID ?? "")")))
        }
        return attributes
    }

    /// What to do with one offered section.
    private struct SectionPlan {
        var mid: String?
        var accepted: Bool
        var direction: MediaDirection = .inactive
        var codecs: [NegotiatedCodec] = []
        var extensions: [ExtensionMap] = []
    }

    private static func plan(offer: SessionDescription) -> [SectionPlan] {
        let bundle = offer.bundleGroup
        var plans: [SectionPlan] = []
        for section in offer.media {
            var plan = SectionPlan(mid: section.mid, accepted: false)
            plan.codecs = acceptableCodecs(section)
            // Without BUNDLE every section would need its own ICE and DTLS transport; the echo
            // engine runs one, so only the first usable section is accepted.
            let transportAllows: Bool
            if let bundle {
                transportAllows = section.mid.map { bundle.contains($0) } ?? false
            } else {
                transportAllows = !plans.contains(where: \.accepted)
            }
            // A zero port is a section the offerer disabled, unless it is bundle-only (RFC 8843 6).
            let enabled = section.port != 0 || section.attributes.contains(.other(name: "bundle-only", value: nil))
            plan.accepted = section.mid != nil && enabled && transportAllows && !plan.codecs.isEmpty
            if plan.accepted {
                plan.direction = section.direction.reversed
                plan.extensions = section.extensionMaps.filter { keptHeaderExtensions.contains($0.uri) }.map { map in
                    var kept = map
                    kept.direction = map.direction?.reversed
                    kept.extensionAttributes = nil
                    return kept
                }
            }
            plans.append(plan)
        }
        return plans
    }

    /// Opus for audio; VP8 then H.264 for video; each with its RTX. Empty when nothing fits, or
    /// when the section is not DTLS-SRTP over UDP, the only transport the engine has.
    private static func acceptableCodecs(_ section: MediaDescription) -> [NegotiatedCodec] {
        guard section.transportProtocol.hasPrefix("UDP/TLS/RTP/SAVP") else { return [] }
        // Indexed once: a hostile offer may list thousands of formats and attributes.
        var mapByType: [UInt8: RTPMap] = [:]
        var parametersByType: [UInt8: FormatParameters] = [:]
        for attribute in section.attributes {
            switch attribute {
            case .rtpMap(let map) where mapByType[map.payloadType] == nil: mapByType[map.payloadType] = map
            case .formatParameters(let fmtp) where parametersByType[fmtp.payloadType] == nil:
                parametersByType[fmtp.payloadType] = fmtp
            default: break
            }
        }
        var seen: Set<UInt8> = []
        let maps = section.payloadTypes.filter { seen.insert($0).inserted }.compactMap { mapByType[$0] }
        func parameter(_ map: RTPMap, _ key: String) -> String? {
            parametersByType[map.payloadType]?.value(for: key)?.lowercased()
        }
        var chosen: [RTPMap] = []
        switch section.kind {
        case .audio:
            if let opus = maps.first(where: { $0.isEncoding("opus") && $0.clockRate == 48000 && $0.channels == 2 }) {
                chosen.append(opus)
            }
        case .video:
            if let vp8 = maps.first(where: { $0.isEncoding("VP8") && $0.clockRate == 90000 }) { chosen.append(vp8) }
            let h264 = maps.filter { $0.isEncoding("H264") && $0.clockRate == 90000 }
            let preferred =
                h264.first {
                    parameter($0, "packetization-mode") == "1"
                        && parameter($0, "profile-level-id") == preferredH264ProfileLevelID
                } ?? h264.first { parameter($0, "packetization-mode") == "1" } ?? h264.first
            if let preferred { chosen.append(preferred) }
        default:
            break
        }
        return chosen.map { map in
            let rtx = maps.first { candidate in
                candidate.isEncoding("rtx") && parameter(candidate, "apt") == String(map.payloadType)
            }
            var feedback: [RTCPFeedback] = []
            for item in section.rtcpFeedback(payloadType: map.payloadType)
            where keptFeedback.contains(FeedbackKind(type: item.type, parameter: item.parameter)) {
                let explicit = RTCPFeedback(payloadType: map.payloadType, type: item.type, parameter: item.parameter)
                if !feedback.contains(explicit) { feedback.append(explicit) }
            }
            return NegotiatedCodec(
                payloadType: map.payloadType, name: map.encodingName, clockRate: map.clockRate, channels: map.channels,
                parameters: parametersByType[map.payloadType]?.parameters,
                rtcpFeedback: feedback, rtxPayloadType: rtx?.payloadType)
        }
    }

    /// The browser's side of the one transport: from the tagged section, else the session level.
    private static func remoteTransport(offer: SessionDescription, section: MediaDescription, mid: String)
        throws(AnswerError) -> (ufrag: String, password: String, fingerprints: [Fingerprint])
    {
        guard let ufrag = section.attributes.iceUsernameFragment ?? offer.attributes.iceUsernameFragment,
            let password = section.attributes.icePassword ?? offer.attributes.icePassword
        else { throw .missingICECredentials(mid: mid) }
        let fingerprints =
            section.attributes.fingerprints.isEmpty ? offer.attributes.fingerprints : section.attributes.fingerprints
        guard !fingerprints.isEmpty else { throw .missingFingerprint(mid: mid) }
        // An offer without a=setup means active (RFC 4145 section 4), which suits a passive server.
        let role = section.attributes.setup ?? offer.attributes.setup ?? .active
        guard role == .actpass || role == .active else { throw .incompatibleSetup(role) }
        return (ufrag, password, fingerprints)
    }

    /// A rejected section: port 0, one of the offered formats (an m= line needs one), and its
    /// mid so the browser can match it (RFC 3264 section 6, RFC 8829 section 5.3.1).
    private static func rejected(_ offered: MediaDescription) -> MediaDescription {
        MediaDescription(
            kind: offered.kind, port: 0, transportProtocol: offered.transportProtocol,
            formats: Array(offered.formats.prefix(1)), connection: Connection(ipAddress: "0.0.0.0"),
            attributes: offered.mid.map { [.mid($0)] } ?? [])
    }
}
