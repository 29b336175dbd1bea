import STUN

/// The transport between a client and the server.
public enum ClientTransport: Hashable, Sendable {
    case udp
    case tcp
}

/// The 5-tuple that identifies an allocation (RFC 8656 section 2): client address, server
/// address and transport. Over TCP each connection is its own 5-tuple.
public struct FiveTuple: Hashable, Sendable, CustomStringConvertible {
    public var client: TransportAddress
    public var server: TransportAddress
    public var transport: ClientTransport

    public init(client: TransportAddress, server: TransportAddress, transport: ClientTransport) {
        self.client = client
        self.server = server
        self.transport = transport
    }

    public var description: String { "\(transport) \(client) -> \(server)" }
}
