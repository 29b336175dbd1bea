import STUN

/// Client-to-peer data: Send indications (RFC 8656 section 11.2) and ChannelData (section 12.5).
extension AllocationTable {
    mutating func sendIndicationReceived(
        _ indication: STUNMessage, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard let peer = (try? indication.attribute(XORPeerAddress.self))??.address,
            let data = (try? indication.attribute(DataAttribute.self))??.bytes,
            !isServerPort(peer),
            let relayPort = allocations[fiveTuple]?.admit(data.count, peer: peer.ip, now: now)
        else {
            statistics.packetsDropped += 1
            return
        }
        relay(data, to: peer, fromRelayPort: relayPort, now: now, actions: &actions)
    }

    mutating func channelDataReceived(
        _ bytes: [UInt8], from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        // ChannelBind refused server ports already; the check here only makes sure of it.
        guard let frame = try? ChannelData(decoding: bytes),
            let (peer, relayPort) = allocations[fiveTuple]?.admitChannelData(
                on: frame.channel, byteCount: frame.payload.count, now: now),
            !isServerPort(peer)
        else {
            statistics.packetsDropped += 1
            return
        }
        relay(Array(frame.payload), to: peer, fromRelayPort: relayPort, now: now, actions: &actions)
    }

    /// A permission exists only for an IP the policy allowed, so per packet only the port rule
    /// is left to check: nothing goes to (or comes from) the server's own listening ports.
    func isServerPort(_ peer: TransportAddress) -> Bool {
        configuration.policy.serverPorts.contains(peer.port) && configuration.policy.denial(for: peer) != nil
    }

    /// Sends admitted data from an allocation's relay port to its peer.
    private mutating func relay(
        _ data: [UInt8], to peer: TransportAddress, fromRelayPort relayPort: UInt16, now: UnixTime,
        actions: inout [TURNAction]
    ) {
        statistics.packetsRelayedToPeers += 1
        statistics.bytesRelayed += data.count
        if peer.ip == configuration.relayAddress, tupleByRelayPort[peer.port] != nil {
            // Both ends relay through this server (two browsers that force relay): hand the
            // datagram straight to the other allocation, which checks its own permission and
            // quota as if it had crossed the network. That saves a send, a receive and a wakeup
            // per packet, and a hairpin through a 1:1 NAT that not every cloud routes.
            let source = TransportAddress(ip: configuration.relayAddress, port: relayPort)
            peerDatagramReceived(data, relayPort: peer.port, from: source, now: now, actions: &actions)
        } else {
            actions.append(.sendToPeer(relayPort: relayPort, peer: peer, data))
        }
    }
}
