/// Typed look-ups over a list of attributes, shared by the session and m= section levels.
extension [SDPAttribute] {
    public var iceUsernameFragment: String? {
        firstMap { if case .iceUsernameFragment(let value) = $0 { value } else { nil } }
    }

    public var icePassword: String? { firstMap { if case .icePassword(let value) = $0 { value } else { nil } } }

    public var iceOptions: [String] {
        flatMap { attribute -> [String] in if case .iceOptions(let options) = attribute { options } else { [] } }
    }

    public var fingerprints: [Fingerprint] {
        compactMap { if case .fingerprint(let value) = $0 { value } else { nil } }
    }

    public var setup: SetupRole? { firstMap { if case .setup(let value) = $0 { value } else { nil } } }

    /// The identification tags of every `a=group` with these semantics, one list per group.
    public func groups(semantics: String) -> [[String]] {
        compactMap { attribute in
            if case .group(semantics, let mids) = attribute { mids } else { nil }
        }
    }

    private func firstMap<T>(_ transform: (SDPAttribute) -> T?) -> T? {
        for attribute in self { if let value = transform(attribute) { return value } }
        return nil
    }
}

extension SessionDescription {
    /// The first `a=group:BUNDLE`, the one Parley bundles onto its single transport.
    public var bundleGroup: [String]? { attributes.groups(semantics: "BUNDLE").first }

    public var isICELite: Bool { attributes.contains(.iceLite) }
}

extension MediaDescription {
    public var mid: String? {
        for case .mid(let mid) in attributes { return mid }
        return nil
    }

    /// The direction attribute; `sendrecv` when there is none (RFC 8866 section 6.7).
    public var direction: MediaDirection {
        for case .direction(let direction) in attributes { return direction }
        return .sendrecv
    }

    public var rtpMaps: [RTPMap] { attributes.compactMap { if case .rtpMap(let map) = $0 { map } else { nil } } }

    public func rtpMap(payloadType: UInt8) -> RTPMap? { rtpMaps.first { $0.payloadType == payloadType } }

    public func formatParameters(payloadType: UInt8) -> FormatParameters? {
        for case .formatParameters(let fmtp) in attributes where fmtp.payloadType == payloadType { return fmtp }
        return nil
    }

    /// The feedback listed for this payload type, and that listed for `*`.
    public func rtcpFeedback(payloadType: UInt8) -> [RTCPFeedback] {
        attributes.compactMap { attribute in
            guard case .rtcpFeedback(let feedback) = attribute,
                feedback.payloadType == nil || feedback.payloadType == payloadType
            else { return nil }
            return feedback
        }
    }

    public var extensionMaps: [ExtensionMap] {
        attributes.compactMap { if case .extensionMap(let map) = $0 { map } else { nil } }
    }

    public var ssrcAttributes: [SSRCAttribute] {
        attributes.compactMap { if case .ssrc(let ssrc) = $0 { ssrc } else { nil } }
    }

    /// Every SSRC named by `a=ssrc`, once each, in first-seen order.
    public var ssrcs: [UInt32] {
        var seen: Set<UInt32> = []
        return ssrcAttributes.map(\.ssrc).filter { seen.insert($0).inserted }
    }

    public var ssrcGroups: [SSRCGroup] {
        attributes.compactMap { if case .ssrcGroup(let group) = $0 { group } else { nil } }
    }

    public var candidates: [Candidate] {
        attributes.compactMap { if case .candidate(let candidate) = $0 { candidate } else { nil } }
    }

    public var msid: MediaStreamID? {
        for case .msid(let msid) in attributes { return msid }
        return nil
    }

    public var sctpPort: UInt16? {
        for case .sctpPort(let port) in attributes { return port }
        return nil
    }

    public var maxMessageSize: UInt64? {
        for case .maxMessageSize(let size) in attributes { return size }
        return nil
    }

    /// Attributes Parley has no case for, as written.
    public var otherAttributes: [(name: String, value: String?)] {
        attributes.compactMap { if case .other(let name, let value) = $0 { (name, value) } else { nil } }
    }
}
