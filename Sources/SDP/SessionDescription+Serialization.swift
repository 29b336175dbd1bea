extension SessionDescription {
    /// The description as SDP text with CRLF line ends, in the order RFC 8866 section 5 fixes
    /// and browsers expect: v, o, s, (i u e p), c, b, t, (r z k), session a= lines, then each
    /// m= section (m, i, c, b, k, a=...), attributes in their stored order.
    public func serialized() -> String {
        var lines: [String] = [
            "v=0",
            "o=\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) "
                + "\(origin.addressType) \(origin.address)",
            "s=\(sessionName)",
        ]
        let beforeTiming: Set<Character> = ["i", "u", "e", "p"]
        lines += otherLines.filter { beforeTiming.contains($0.type) }.map(\.text)
        if let connection { lines.append(connection.line) }
        lines += bandwidths.map(\.line)
        lines.append("t=\(timing.start) \(timing.stop)")
        lines += otherLines.filter { !beforeTiming.contains($0.type) }.map(\.text)
        lines += attributes.map(\.line)
        for section in media {
            let port = section.portCount.map { "\(section.port)/\($0)" } ?? "\(section.port)"
            lines.append(
                (["m=\(section.kind.token)", port, section.transportProtocol] + section.formats).joined(separator: " "))
            lines += section.otherLines.filter { $0.type == "i" }.map(\.text)
            if let connection = section.connection { lines.append(connection.line) }
            lines += section.bandwidths.map(\.line)
            lines += section.otherLines.filter { $0.type != "i" }.map(\.text)
            lines += section.attributes.map(\.line)
        }
        return lines.map { $0 + "\r\n" }.joined()
    }
}

extension SDPLine {
    var text: String { "\(type)=\(value)" }
}

extension Connection {
    var line: String { "c=\(networkType) \(addressType) \(address)" }
}

extension Bandwidth {
    var line: String { "b=\(type):\(value)" }
}

extension SDPAttribute {
    /// The `a=` line, without its line end.
    public var line: String {
        let (name, value) = nameAndValue
        return value.map { "a=\(name):\($0)" } ?? "a=\(name)"
    }

    /// The attribute name and the text after the colon (nil when there is no colon).
    public var nameAndValue: (name: String, value: String?) {
        switch self {
        case .group(let semantics, let mids): ("group", ([semantics] + mids).joined(separator: " "))
        case .extmapAllowMixed: ("extmap-allow-mixed", nil)
        case .msidSemantic(let semantics, let identifiers):
            ("msid-semantic", ([semantics] + identifiers).joined(separator: " "))
        case .iceLite: ("ice-lite", nil)
        case .iceUsernameFragment(let ufrag): ("ice-ufrag", ufrag)
        case .icePassword(let password): ("ice-pwd", password)
        case .iceOptions(let options): ("ice-options", options.joined(separator: " "))
        case .fingerprint(let fingerprint): ("fingerprint", "\(fingerprint.hashFunction) \(fingerprint.hexText)")
        case .setup(let role): ("setup", role.rawValue)
        case .mid(let mid): ("mid", mid)
        case .direction(let direction): (direction.rawValue, nil)
        case .rtcpMux: ("rtcp-mux", nil)
        case .rtcpReducedSize: ("rtcp-rsize", nil)
        case .rtpMap(let map):
            (
                "rtpmap",
                "\(map.payloadType) \(map.encodingName)/\(map.clockRate)" + (map.channels.map { "/\($0)" } ?? "")
            )
        case .formatParameters(let fmtp): ("fmtp", "\(fmtp.payloadType) \(fmtp.parameters)")
        case .rtcpFeedback(let feedback):
            (
                "rtcp-fb",
                ([feedback.payloadType.map { String($0) } ?? "*", feedback.type]
                    + (feedback.parameter.map { [$0] } ?? []))
                    .joined(separator: " ")
            )
        case .extensionMap(let map):
            (
                "extmap",
                ([String(map.id) + (map.direction.map { "/\($0.rawValue)" } ?? ""), map.uri]
                    + (map.extensionAttributes.map { [$0] } ?? [])).joined(separator: " ")
            )
        case .ssrc(let ssrc): ("ssrc", "\(ssrc.ssrc) \(ssrc.attribute)" + (ssrc.value.map { ":\($0)" } ?? ""))
        case .ssrcGroup(let group):
            ("ssrc-group", ([group.semantics] + group.ssrcs.map { String($0) }).joined(separator: " "))
        case .msid(let msid): ("msid", msid.streamID + (msid.trackID.map { " \($0)" } ?? ""))
        case .candidate(let candidate): ("candidate", candidate.attributeValue)
        case .endOfCandidates: ("end-of-candidates", nil)
        case .sctpPort(let port): ("sctp-port", String(port))
        case .maxMessageSize(let size): ("max-message-size", String(size))
        case .other(let name, let value): (name, value)
        }
    }
}
