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
