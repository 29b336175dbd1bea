import STUN
import TURN
import Testing

/// Every forbidden IPv4 address, and each IPv6 form that embeds an IPv4 address.
enum ForbiddenAddresses {
    static let ipv4 = [
        "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "169.254.169.254", "169.254.0.1", "224.0.0.1",
        "239.255.255.250", "255.255.255.255", "240.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "100.64.0.1",
    ]

    static let ipv6 = [
        "::1", "::", "fe80::1", "febf::1", "fec0::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1", "64:ff9b:1::1",
    ]

    /// The IPv6 encodings of an IPv4 address that a careless check would not recognise.
    static func encodings(of text: String) -> [String] {
        guard case .v4(let v4) = IPAddress(text)! else { return [text] }
        let high = UInt16(v4 >> 16)
        let low = UInt16(v4 & 0xFFFF)
        func h(_ value: UInt16) -> String { String(value, radix: 16) }
        return [
            text,
            "::ffff:\(text)",  // IPv4-mapped
            "::ffff:\(h(high)):\(h(low))",  // IPv4-mapped in hex
            "::\(text)",  // IPv4-compatible
            "64:ff9b::\(text)",  // NAT64
            "2002:\(h(high)):\(h(low))::1",  // 6to4
            "2001:0:\(h(high)):\(h(low))::1",  // Teredo server
            "2001:0:4136:e378:8000:63bf:\(h(~high)):\(h(~low))",  // Teredo client (inverted)
            "2001:db8::5efe:\(text)",  // ISATAP
            "2001:db8::200:5efe:\(text)",  // ISATAP, universal
        ]
    }

    static var all: [String] { ipv4.flatMap(encodings(of:)) + ipv6 }
}

@Suite struct PeerAddressPolicyTests {
    let policy = PeerAddressPolicy()

    /// Every forbidden address is denied in every encoding.
    @Test(arguments: ForbiddenAddresses.all)
    func forbiddenAddressIsDenied(text: String) throws {
        let ip = try #require(IPAddress(text), "\(text) parses")
        #expect(policy.denial(for: ip) != nil, "\(text) must be denied")
        #expect(policy.denial(for: TransportAddress(ip: ip, port: 5000)) != nil)
    }

    /// Public addresses are relayed to.
    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "2a00:1450::1"])
    func publicAddressIsAllowed(text: String) {
        #expect(policy.denial(for: IPAddress(text)!) == nil)
    }

    /// Private ranges are allowed when configured; loopback still is not.
    @Test func privateRangesAreConfigurable() {
        let lan = PeerAddressPolicy(allowPrivate: true)
        #expect(lan.denial(for: IPAddress("192.168.1.1")!) == nil)
        #expect(lan.denial(for: IPAddress("::ffff:10.0.0.1")!) == nil)
        #expect(lan.denial(for: IPAddress("127.0.0.1")!) == .loopback)
        #expect(policy.denial(for: IPAddress("192.168.1.1")!) == .private)
    }

    /// An explicit allow-list admits loopback in any encoding, for tests.
    @Test func allowListAdmitsLoopback() {
        let test = PeerAddressPolicy(allowed: [IPNetwork("127.0.0.0/8")!])
        #expect(test.denial(for: IPAddress("127.0.0.1")!) == nil)
        #expect(test.denial(for: IPAddress("::ffff:127.0.0.1")!) == nil)
        #expect(test.denial(for: IPAddress("169.254.169.254")!) == .linkLocal)
    }

    /// The server's listening port is refused on its addresses even when they are allowed.
    @Test func serverPortIsDenied() {
        let test = PeerAddressPolicy(
            allowed: [IPNetwork("127.0.0.0/8")!], serverAddresses: [IPAddress("127.0.0.1")!], serverPorts: [3478])
        #expect(test.denial(for: TransportAddress("127.0.0.1:3478")!) == .serverPort)
        #expect(test.denial(for: TransportAddress("[::ffff:127.0.0.1]:3478")!) == .serverPort)
        #expect(test.denial(for: TransportAddress("127.0.0.1:50000")!) == nil)
        let wildcard = PeerAddressPolicy(serverAddresses: [.v4(0)], serverPorts: [3478])
        #expect(wildcard.denial(for: TransportAddress("8.8.8.8:3478")!) == .serverPort)
    }

    /// Prefixes match on their bits only.
    @Test func networksContain() {
        #expect(IPNetwork("172.16.0.0/12")!.contains(IPAddress("172.31.1.1")!))
        #expect(!IPNetwork("172.16.0.0/12")!.contains(IPAddress("172.32.0.0")!))
        #expect(IPNetwork("fe80::/10")!.contains(IPAddress("febf:ffff::1")!))
        #expect(!IPNetwork("fe80::/10")!.contains(IPAddress("fec0::1")!))
        #expect(IPNetwork("64:ff9b:1::/48")!.contains(IPAddress("64:ff9b:1:ffff::1")!))
        #expect(IPNetwork("::1/128")!.contains(IPAddress("::1")!))
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("1.2.3.4")!))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(IPAddress("::1")!))
    }
}
