import STUN

/// What the IO shell must do after an event; it makes no protocol decisions of its own.
public enum TURNAction: Sendable, Equatable {
    /// Send bytes to a client over its 5-tuple (a datagram, or a frame on its TCP connection).
    case sendToClient(FiveTuple, [UInt8])
    /// Send a datagram from the relay socket on `relayPort` to `peer`.
    case sendToPeer(relayPort: UInt16, peer: TransportAddress, [UInt8])
    /// Open a UDP socket on `relayPort`, then report `relayBound` or `relayBindFailed`.
    case bindRelay(relayPort: UInt16)
    /// Close the relay socket on `relayPort`; its allocation is gone.
    case releaseRelay(relayPort: UInt16)
    /// Close the client's TCP connection (a stream that cannot be resynchronised).
    case closeConnection(FiveTuple)
}

/// Counters an operator wants to see; the IO shell may export them as metrics.
public struct TURNStatistics: Sendable, Equatable {
    public var allocationsCreated = 0
    public var packetsRelayedToPeers = 0
    public var packetsRelayedToClients = 0
    public var bytesRelayed = 0
    /// Packets dropped: no permission, forbidden peer, over quota, malformed, unknown channel.
    public var packetsDropped = 0
    /// Requests refused with 403 because the peer address is forbidden by policy.
    public var forbiddenPeers = 0
    /// 401 replies not sent because the client address exceeded its rate.
    public var unauthorizedRepliesSuppressed = 0

    public init() {}
}
