/// An ICE candidate (RFC 8839 section 5.1), as in `a=candidate:` or a trickled candidate string:
/// `<foundation> <component> <transport> <priority> <address> <port> typ <type>
/// [raddr <address>] [rport <port>] *(<name> <value>)`.
public struct Candidate: Hashable, Sendable {
    public var foundation: String
    /// 1 for RTP (the only component with rtcp-mux).
    public var component: UInt16
    /// `udp` or `tcp` as written; compare case-insensitively.
    public var transport: String
    public var priority: UInt32
    /// An IP address, or an mDNS name (`<uuid>.local`) when the browser hides its addresses.
    public var address: String
    public var port: UInt16
    public var type: CandidateType
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// Everything after the fixed fields, in order: `generation 0`, `network-id 1`, `tcptype passive`, ...
    public var extensions: [Extension]

    /// One `<name> <value>` pair after the fixed fields.
    public struct Extension: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        foundation: String, component: UInt16, transport: String, priority: UInt32, address: String, port: UInt16,
        type: CandidateType, relatedAddress: String? = nil, relatedPort: UInt16? = nil, extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    /// A UDP host candidate for component 1, with the priority RFC 8445 section 5.1.2.1
    /// recommends: type preference 126 (host), then `localPreference`, then 256 - component.
    public static func udpHost(address: String, port: UInt16, foundation: String, localPreference: UInt16 = 65535)
        -> Candidate
    {
        let priority = UInt32(126) << 24 | UInt32(localPreference) << 8 | UInt32(256 - 1)
        return Candidate(
            foundation: foundation, component: 1, transport: "udp", priority: priority, address: address, port: port,
            type: .host)
    }

    /// Parses a candidate, with or without the `candidate:` prefix a trickled candidate carries.
    public init(parsing text: String) throws(SDPError.Reason) {
        var bytes = Array(text.utf8)[...]
        let prefix = Array("candidate:".utf8)
        if bytes.starts(with: prefix) { bytes = bytes.dropFirst(prefix.count) }
        try self.init(parsingFields: bytes)
    }

    init(parsingFields value: ArraySlice<UInt8>) throws(SDPError.Reason) {
        let bad = SDPError.Reason.badAttribute(name: "candidate")
        let fields = value.split(separator: UInt8(ascii: " "))
        guard fields.count >= 8, fields.count % 2 == 0, fields[6].elementsEqual("typ".utf8) else { throw bad }
        let foundation = text(fields[0])
        // ice-char is ALPHA / DIGIT / "+" / "/"; foundations are 1 to 32 of them (RFC 8839 5.1).
        guard (1...32).contains(fields[0].count), fields[0].allSatisfy(\.isICEChar),
            let component = parseNumber(fields[1], as: UInt16.self), (1...256).contains(component),
            isToken(text(fields[2])),
            let priority = parseNumber(fields[3], as: UInt32.self), priority > 0,
            let port = parseNumber(fields[5], as: UInt16.self),
            isToken(text(fields[7]))
        else { throw bad }
        var relatedAddress: String?
        var relatedPort: UInt16?
        var extensions: [Extension] = []
        var index = 8
        while index < fields.count {
            let name = text(fields[index])
            let value = fields[index + 1]
            index += 2
            switch name {
            case "raddr" where relatedAddress == nil && extensions.isEmpty:
                relatedAddress = text(value)
            case "rport" where relatedPort == nil && extensions.isEmpty:
                guard let port = parseNumber(value, as: UInt16.self) else { throw bad }
                relatedPort = port
            default:
                extensions.append(Extension(name: name, value: text(value)))
            }
        }
        self.init(
            foundation: foundation, component: component, transport: text(fields[2]), priority: priority,
            address: text(fields[4]), port: port, type: CandidateType(token: text(fields[7])),
            relatedAddress: relatedAddress, relatedPort: relatedPort, extensions: extensions)
    }

    /// The value of `a=candidate:` (without the prefix).
    public var attributeValue: String {
        var fields = [
            foundation, String(component), transport, String(priority), address, String(port), "typ", type.token,
        ]
        if let relatedAddress { fields += ["raddr", relatedAddress] }
        if let relatedPort { fields += ["rport", String(relatedPort)] }
        for item in extensions { fields += [item.name, item.value] }
        return fields.joined(separator: " ")
    }
}

/// The candidate types of RFC 8445 section 5.1.1.
public enum CandidateType: Hashable, Sendable {
    case host
    /// `srflx`: the address a STUN server saw.
    case serverReflexive
    /// `prflx`: learnt from a connectivity check.
    case peerReflexive
    /// `relay`: a TURN allocation.
    case relay
    case other(String)

    public init(token: String) {
        switch token {
        case "host": self = .host
        case "srflx": self = .serverReflexive
        case "prflx": self = .peerReflexive
        case "relay": self = .relay
        default: self = .other(token)
        }
    }

    public var token: String {
        switch self {
        case .host: "host"
        case .serverReflexive: "srflx"
        case .peerReflexive: "prflx"
        case .relay: "relay"
        case .other(let token): token
        }
    }
}

extension UInt8 {
    /// RFC 8839 `ice-char`: ALPHA / DIGIT / "+" / "/".
    var isICEChar: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default: false
        }
    }
}
