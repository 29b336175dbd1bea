import STUN

/// Which peer addresses a relay may send to (RFC 8656 section 21.3.1, "Relay to internal
/// addresses").
///
/// An open relay to loopback, link-local or private addresses lets anyone on the internet reach
/// services that trust "local" traffic: the cloud metadata endpoint at 169.254.169.254, admin
/// panels on 127.0.0.1, the LAN behind the server. coturn's CVE-2020-26262 (0.0.0.0 and `::`
/// reaching loopback) and CVE-2026-27624 (IPv4 hidden in IPv6 forms) came from checking the
/// address as written rather than what it means, so every IPv6 form that embeds an IPv4 address
/// is unpacked and each embedded address is checked too.
public struct PeerAddressPolicy: Sendable, Equatable {
    /// Why a peer address is refused.
    public enum Denial: Hashable, Sendable, CustomStringConvertible {
        case loopback, unspecified, linkLocal, multicast, broadcast, reserved, ipv6Internal, `private`
        /// One of the server's own listening ports on one of its addresses.
        case serverPort

        public var description: String {
            switch self {
            case .loopback: "loopback"
            case .unspecified: "unspecified"
            case .linkLocal: "link-local"
            case .multicast: "multicast"
            case .broadcast: "broadcast"
            case .reserved: "reserved"
            case .ipv6Internal: "internal IPv6"
            case .private: "private"
            case .serverPort: "server's own port"
            }
        }
    }

    /// Allow 10/8, 172.16/12, 192.168/16, 100.64/10 and IPv6 ULA fc00::/7 (a LAN-only
    /// deployment). Off by default.
    public var allowPrivate: Bool
    /// Addresses allowed whatever the rules below say (except ``serverPorts``), e.g. loopback in
    /// tests or this machine's own addresses for a browser test.
    public var allowed: [IPNetwork]
    /// Extra networks to refuse.
    public var denied: [IPNetwork]
    /// The server's own addresses; `0.0.0.0` or `::` here means "any address".
    public var serverAddresses: Set<IPAddress>
    /// The server's listening ports (STUN/TURN, HTTP). Relay ports are not listed: two browsers
    /// that both force relay send from one relay port to another on the same server.
    public var serverPorts: Set<UInt16>

    public init(
        allowPrivate: Bool = false, allowed: [IPNetwork] = [], denied: [IPNetwork] = [],
        serverAddresses: Set<IPAddress> = [], serverPorts: Set<UInt16> = []
    ) {
        self.allowPrivate = allowPrivate
        self.allowed = allowed
        self.denied = denied
        self.serverAddresses = serverAddresses
        self.serverPorts = serverPorts
    }

    /// Checks a peer IP address alone (CreatePermission installs permissions by IP).
    public func denial(for ip: IPAddress) -> Denial? {
        for form in PeerAddressPolicy.interpretations(of: ip) {
            if allowed.contains(where: { $0.contains(form) }) { continue }
            if let reason = PeerAddressPolicy.builtInDenial(form, allowPrivate: allowPrivate) { return reason }
            if denied.contains(where: { $0.contains(form) }) { return .reserved }
        }
        return nil
    }

    /// Checks a peer transport address (ChannelBind, Send, ChannelData).
    public func denial(for address: TransportAddress) -> Denial? {
        if serverPorts.contains(address.port) {
            for form in PeerAddressPolicy.interpretations(of: address.ip) {
                if serverAddresses.contains(form) || serverAddresses.contains(where: PeerAddressPolicy.isUnspecified) {
                    return .serverPort
                }
            }
        }
        return denial(for: address.ip)
    }

    private static func isUnspecified(_ ip: IPAddress) -> Bool { ip == .v4(0) || ip == .v6(high: 0, low: 0) }

    /// The address itself plus every IPv4 address an IPv6 form embeds: IPv4-mapped
    /// (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16), Teredo
    /// (2001::/32, server and obfuscated client) and ISATAP (interface id 0:5efe or 200:5efe).
    public static func interpretations(of ip: IPAddress) -> [IPAddress] {
        guard case .v6(let high, let low) = ip else { return [ip] }
        var forms: [IPAddress] = [ip]
        let low32 = UInt32(truncatingIfNeeded: low)
        if high == 0 && low >> 32 == 0xFFFF { forms.append(.v4(low32)) }  // ::ffff:a.b.c.d
        if high == 0 && low >> 32 == 0 && low > 1 { forms.append(.v4(low32)) }  // ::a.b.c.d
        if high == 0x0064_FF9B_0000_0000 && low >> 32 == 0 { forms.append(.v4(low32)) }  // 64:ff9b::a.b.c.d
        if high >> 48 == 0x2002 { forms.append(.v4(UInt32(truncatingIfNeeded: high >> 16))) }  // 2002:AABB:CCDD::
        if high >> 32 == 0x2001_0000 {  // Teredo: server in bits 32-63, client inverted in the last 32
            forms.append(.v4(UInt32(truncatingIfNeeded: high)))
            forms.append(.v4(~low32))
        }
        if low >> 32 & 0xFDFF_FFFF == 0x0000_5EFE { forms.append(.v4(low32)) }  // ISATAP
        return forms
    }

    /// The fixed rules, on one (already unpacked) form.
    static func builtInDenial(_ ip: IPAddress, allowPrivate: Bool) -> Denial? {
        for (network, reason) in alwaysDenied where network.contains(ip) { return reason }
        if !allowPrivate && privateNetworks.contains(where: { $0.contains(ip) }) { return .private }
        return nil
    }

    static let alwaysDenied: [(IPNetwork, Denial)] =
        ([
            ("0.0.0.0/8", .unspecified),
            ("127.0.0.0/8", .loopback),
            ("169.254.0.0/16", .linkLocal),  // includes the cloud metadata address 169.254.169.254
            ("224.0.0.0/4", .multicast),
            ("255.255.255.255/32", .broadcast),
            ("240.0.0.0/4", .reserved),
            ("192.0.0.0/24", .reserved),  // IETF protocol assignments (RFC 6890)
            ("::/128", .unspecified),
            ("::1/128", .loopback),
            ("fe80::/10", .linkLocal),
            ("ff00::/8", .multicast),
            ("fec0::/10", .ipv6Internal),  // deprecated site-local
            ("64:ff9b:1::/48", .ipv6Internal),  // local-use NAT64 (RFC 8215)
            ("100::/64", .ipv6Internal),  // discard-only (RFC 6666)
        ] as [(String, Denial)]).map { (IPNetwork($0.0)!, $0.1) }

    static let privateNetworks: [IPNetwork] = [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7",
    ].map { IPNetwork($0)! }
}
