import STUN

/// The settings of the allocation table. A value: the IO shell builds it from flags.
public struct TURNConfiguration: Sendable {
    /// The REALM of long-term credentials (RFC 8489 section 9.2).
    public var realm: String
    /// The TURN REST shared secret (see ``TURNCredentials``).
    public var secret: String
    /// The address put in XOR-RELAYED-ADDRESS: the public address behind 1:1 NAT, else the
    /// address the relay sockets are bound to. Its family is the only relayed family.
    public var relayAddress: IPAddress
    /// Ports for relay sockets.
    public var relayPorts: ClosedRange<UInt16>
    /// Which peers may be relayed to.
    public var policy: PeerAddressPolicy

    /// Allocation lifetime when the client asks for less or nothing (RFC 8656 section 7.2).
    public var defaultLifetime: Double = 600
    /// Longest allocation lifetime granted.
    public var maximumLifetime: Double = 3600
    /// Permission lifetime (RFC 8656 section 9, fixed at 300 s).
    public var permissionLifetime: Double = 300
    /// Channel binding lifetime (RFC 8656 section 12, 600 s).
    public var channelLifetime: Double = 600
    /// How long a NONCE stays fresh before a request gets 438 Stale Nonce.
    public var nonceLifetime: Double = 600

    /// Allocations on the whole server.
    public var maximumAllocations = 2000
    /// Allocations per username (per participant: a browser uses one or two per peer connection).
    public var maximumAllocationsPerUsername = 32
    /// Permissions per allocation.
    public var maximumPermissionsPerAllocation = 64
    /// Channels per allocation.
    public var maximumChannelsPerAllocation = 64
    /// Relayed bytes per second per allocation, both directions together (10 Mbit/s).
    public var bytesPerSecondPerAllocation: Double = 1_250_000
    /// 401 replies per second per client IP address; more are dropped silently so the server
    /// cannot be used to reflect traffic at someone else.
    public var unauthorizedRepliesPerSecond: Double = 5
    /// Burst of 401 replies per client IP address.
    public var unauthorizedReplyBurst: Double = 20
    /// SOFTWARE in responses; `nil` sends none (less to fingerprint).
    public var software: String?

    public init(
        realm: String = "parley", secret: String, relayAddress: IPAddress,
        relayPorts: ClosedRange<UInt16> = 49152...65535, policy: PeerAddressPolicy = PeerAddressPolicy()
    ) {
        self.realm = realm
        self.secret = secret
        self.relayAddress = relayAddress
        self.relayPorts = relayPorts
        self.policy = policy
    }
}
