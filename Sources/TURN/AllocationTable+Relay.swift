import STUN

/// Client-to-peer data: Send indications (RFC 8656 section 11.2) and ChannelData (section 12.5).
extension AllocationTable {
    mutating func sendIndicationReceived(
        _ indication: STUNMessage, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard let peer = (try? indication.attribute(XORPeerAddress.self))??.address,
            let data = (try? indication.attribute(DataAttribute.self))??.bytes
        else {
            statistics.packetsDropped += 1
            return
        }
        relayToPeer(data, peer: peer, from: fiveTuple, now: now, actions: &actions)
    }

    mutating func channelDataReceived(
        _ bytes: [UInt8], from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard let frame = try? ChannelData(decoding: bytes),
            let channel = allocations[fiveTuple]?.channels[frame.channel], now < channel.expiry
        else {
            statistics.packetsDropped += 1
            return
        }
        relayToPeer(Array(frame.payload), peer: channel.peer, from: fiveTuple, now: now, actions: &actions)
    }

    /// A permission exists only for an IP the policy allowed, so per packet only the port rule
    /// is left to check: nothing goes to (or comes from) the server's own listening ports.
    func isServerPort(_ peer: TransportAddress) -> Bool {
        configuration.policy.serverPorts.contains(peer.port) && configuration.policy.denial(for: peer) != nil
    }

    /// Sends data from the allocation's relay port if the peer is allowed, permitted and the
    /// allocation is within its bandwidth; otherwise drops it silently (indications have no
    /// response).
    private mutating func relayToPeer(
        _ data: [UInt8], peer: TransportAddress, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard var allocation = allocations[fiveTuple], now < allocation.expiry,
            allocation.hasPermission(for: peer.ip, now: now), !isServerPort(peer),
            allocation.bandwidth.take(Double(data.count), now: now)
        else {
            statistics.packetsDropped += 1
            return
        }
        allocations[fiveTuple] = allocation
        statistics.packetsRelayedToPeers += 1
        statistics.bytesRelayed += data.count
        actions.append(.sendToPeer(relayPort: allocation.relayPort, peer: peer, data))
    }
}
