import STUN

/// One TURN allocation (RFC 8656 section 2.2): a relayed transport address bound to a client
/// 5-tuple, with its permissions and channels, each expiring at a time.
struct Allocation {
    /// A channel bound to a peer (RFC 8656 section 12).
    struct Channel {
        var peer: TransportAddress
        var expiry: UnixTime
    }

    let fiveTuple: FiveTuple
    let relayPort: UInt16
    let username: String
    /// The long-term key every later request must verify with.
    let key: [UInt8]
    /// The Allocate transaction and its success response, resent for a retransmission.
    let allocateTransaction: TransactionID
    let allocateResponse: [UInt8]
    var expiry: UnixTime
    /// Installed permissions by peer IP (ports are ignored, RFC 8656 section 9).
    var permissions: [IPAddress: UnixTime] = [:]
    var channels: [UInt16: Channel] = [:]
    var channelByPeer: [TransportAddress: UInt16] = [:]
    var bandwidth: TokenBucket

    func hasPermission(for ip: IPAddress, now: UnixTime) -> Bool {
        guard let expiry = permissions[ip] else { return false }
        return now < expiry
    }

    // The relay path calls these in place (`allocations[tuple]?.admit(...)`, which mutates
    // through the dictionary's accessor): reading the allocation out would copy it, and its six
    // reference-counted fields, for every packet.

    /// Whether `byteCount` bytes may be relayed between the client and `peer` now: the
    /// allocation is live, the peer permitted and the bandwidth left; takes the bytes from the
    /// quota if so. Returns the relay port they go through, nil if they are dropped.
    mutating func admit(_ byteCount: Int, peer: IPAddress, now: UnixTime) -> UInt16? {
        guard now < expiry, hasPermission(for: peer, now: now), bandwidth.take(Double(byteCount), now: now) else {
            return nil
        }
        return relayPort
    }

    /// Admits a ChannelData frame of `byteCount` bytes on channel `number` (see `admit`):
    /// returns the peer bound to the channel and the relay port, nil if the frame is dropped.
    mutating func admitChannelData(
        on number: UInt16, byteCount: Int, now: UnixTime
    ) -> (peer: TransportAddress, relayPort: UInt16)? {
        guard let channel = channels[number], now < channel.expiry,
            let relayPort = admit(byteCount, peer: channel.peer.ip, now: now)
        else { return nil }
        return (channel.peer, relayPort)
    }

    /// How data from a peer reaches the client.
    enum Delivery {
        /// As ChannelData on the channel bound to that peer.
        case channel(UInt16)
        /// In a Data indication: no live channel is bound to the peer.
        case dataIndication
    }

    /// Admits `byteCount` bytes that arrived from `peer` (see `admit`) and says how they reach
    /// the client; nil if they are dropped.
    mutating func admitFromPeer(_ peer: TransportAddress, byteCount: Int, now: UnixTime) -> Delivery? {
        guard admit(byteCount, peer: peer.ip, now: now) != nil else { return nil }
        if let number = channelByPeer[peer], let channel = channels[number], now < channel.expiry {
            return .channel(number)
        }
        return .dataIndication
    }

    /// Drops expired permissions and channels.
    mutating func expire(now: UnixTime) {
        permissions = permissions.filter { now < $0.value }
        for (number, channel) in channels where channel.expiry <= now {
            channels[number] = nil
            channelByPeer[channel.peer] = nil
        }
    }
}

/// An Allocate request whose relay socket the IO shell is still opening.
struct PendingAllocation {
    let fiveTuple: FiveTuple
    let request: STUNMessage
    let username: String
    let key: [UInt8]
    let integritySHA256: Bool
    let lifetime: Double
    var attempts: Int
}
