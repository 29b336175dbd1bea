import STUN
import TURN

/// Everything the TURN service needs, as a value: built from flags by `parley serve`, or
/// directly by tests (port 0).
public struct TURNServerConfiguration: Sendable {
    /// Address for the STUN/TURN listeners; `0.0.0.0` for every IPv4 interface.
    public var host: String
    /// UDP and TCP listening port (3478 is the IANA port); 0 picks a free one.
    public var port: Int
    /// Also listen on TCP (RFC 8656 section 3.1), for networks that block UDP.
    public var tcp: Bool
    /// Address the relay sockets bind to; defaults to ``host``.
    public var relayHost: String?
    /// Ports for relay sockets, one per allocation.
    public var relayPorts: ClosedRange<UInt16>
    /// The public address of a server behind 1:1 NAT (a cloud VM whose interface has only a
    /// private address): advertised in XOR-RELAYED-ADDRESS instead of the bound address.
    public var publicIP: String?
    /// REALM for long-term credentials.
    public var realm: String
    /// The TURN REST shared secret.
    public var secret: String
    /// Which peers may be relayed to. The service adds its own addresses and bound ports.
    public var policy: PeerAddressPolicy
    /// Allocations per username.
    public var maximumAllocationsPerUsername: Int
    /// Allocations on the whole server.
    public var maximumAllocations: Int
    /// Permissions per allocation.
    public var maximumPermissionsPerAllocation: Int
    /// Relayed bytes per second per allocation.
    public var bytesPerSecondPerAllocation: Double
    /// Datagrams read per system call (recvmmsg); what they cause is sent in sendmmsg batches.
    public var datagramsPerRead: Int

    public init(
        host: String = "0.0.0.0", port: Int = 3478, tcp: Bool = true, relayHost: String? = nil,
        relayPorts: ClosedRange<UInt16> = 49152...65535, publicIP: String? = nil, realm: String = "parley",
        secret: String, policy: PeerAddressPolicy = PeerAddressPolicy()
    ) {
        self.host = host
        self.port = port
        self.tcp = tcp
        self.relayHost = relayHost
        self.relayPorts = relayPorts
        self.publicIP = publicIP
        self.realm = realm
        self.secret = secret
        self.policy = policy
        let defaults = TURNConfiguration(secret: "", relayAddress: .v4(0))
        self.maximumAllocationsPerUsername = defaults.maximumAllocationsPerUsername
        self.maximumAllocations = defaults.maximumAllocations
        self.maximumPermissionsPerAllocation = defaults.maximumPermissionsPerAllocation
        self.bytesPerSecondPerAllocation = defaults.bytesPerSecondPerAllocation
        self.datagramsPerRead = 32
    }
}

/// Where the service is listening, once started.
public struct TURNServerAddresses: Sendable, Equatable {
    /// The bound UDP port (useful when configured with port 0).
    public var udpPort: Int
    /// The bound TCP port, if TCP is on.
    public var tcpPort: Int?
    /// The relayed address advertised to clients.
    public var relayAddress: IPAddress
}
