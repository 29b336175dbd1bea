import Crypto
import STUN

/// The TURN server as a pure state machine (RFC 8656): every allocation, permission and channel.
///
/// Events in, actions out: a datagram from a client 5-tuple, a datagram arriving at a relay
/// port from a peer, a relay socket opened or not, a TCP connection closed, a timer tick. Each
/// takes `now` and appends ``TURNAction``s for the IO shell to run. No clock, no sockets: the
/// whole protocol is tested without a network.
public struct AllocationTable {
    public internal(set) var configuration: TURNConfiguration
    public internal(set) var statistics = TURNStatistics()

    var allocations: [FiveTuple: Allocation] = [:]
    var tupleByRelayPort: [UInt16: FiveTuple] = [:]
    var pendingByRelayPort: [UInt16: PendingAllocation] = [:]
    var pendingPortByTuple: [FiveTuple: UInt16] = [:]
    var allocationsByUsername: [String: Int] = [:]
    var unauthorizedReplies: [IPAddress: TokenBucket] = [:]
    let nonceKey: SymmetricKey
    var random: any RandomNumberGenerator

    /// The most client addresses tracked for 401 rate limiting; beyond it, 401s are not sent.
    static let maximumTrackedClients = 10_000
    /// Relay ports tried for one Allocate before answering 508.
    static let maximumBindAttempts = 8

    /// - Parameter random: chooses relay ports and the nonce key; pass a seeded generator in tests.
    public init(configuration: TURNConfiguration, random: some RandomNumberGenerator = SystemRandomNumberGenerator()) {
        self.configuration = configuration
        var random: any RandomNumberGenerator = random
        self.nonceKey = SymmetricKey(data: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        self.random = random
    }

    /// Replaces the peer policy, e.g. once the IO shell knows its bound ports.
    public mutating func updatePolicy(_ policy: PeerAddressPolicy) { configuration.policy = policy }

    /// Number of live allocations.
    public var allocationCount: Int { allocations.count }

    /// The relay port of the allocation on `fiveTuple`, if any.
    public func relayPort(of fiveTuple: FiveTuple) -> UInt16? { allocations[fiveTuple]?.relayPort }

    // MARK: Events

    /// A datagram (or one TCP frame) arrived from a client.
    public mutating func clientDatagramReceived(
        _ bytes: [UInt8], from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard let first = bytes.first else { return }
        if ChannelData.looksLikeChannelData(first) {
            channelDataReceived(bytes, from: fiveTuple, now: now, actions: &actions)
            return
        }
        guard STUNMessage.looksLikeSTUN(first), let message = try? STUNMessage(decoding: bytes) else {
            statistics.packetsDropped += 1
            return
        }
        switch message.type.messageClass {
        case .request:
            requestReceived(message, from: fiveTuple, now: now, actions: &actions)
        case .indication where message.type.method == .send:
            sendIndicationReceived(message, from: fiveTuple, now: now, actions: &actions)
        default:
            // Responses and other indications (e.g. Binding keep-alives) need no answer.
            break
        }
    }

    /// A datagram arrived at relay port `relayPort` from `peer`.
    public mutating func peerDatagramReceived(
        _ bytes: [UInt8], relayPort: UInt16, from peer: TransportAddress, now: UnixTime, actions: inout [TURNAction]
    ) {
        guard let fiveTuple = tupleByRelayPort[relayPort], !isServerPort(peer),
            let delivery = allocations[fiveTuple]?.admitFromPeer(peer, byteCount: bytes.count, now: now)
        else {
            statistics.packetsDropped += 1
            return
        }
        statistics.packetsRelayedToClients += 1
        statistics.bytesRelayed += bytes.count
        switch delivery {
        case .channel(let number):
            let frame = ChannelData.encode(channel: number, payload: bytes, padded: fiveTuple.transport == .tcp)
            actions.append(.sendToClient(fiveTuple, frame))
        case .dataIndication:
            var indication = STUNMessage(type: .indication(.data), transactionID: .random(using: &random))
            indication.append(XORPeerAddress(peer))
            indication.append(DataAttribute(bytes))
            actions.append(.sendToClient(fiveTuple, indication.encode()))
        }
    }

    /// The IO shell opened the relay socket asked for by ``TURNAction/bindRelay(relayPort:)``.
    public mutating func relayBound(relayPort: UInt16, now: UnixTime, actions: inout [TURNAction]) {
        guard let pending = pendingByRelayPort.removeValue(forKey: relayPort) else {
            actions.append(.releaseRelay(relayPort: relayPort))
            return
        }
        pendingPortByTuple[pending.fiveTuple] = nil
        var response = STUNMessage(type: .success(.allocate), transactionID: pending.request.transactionID)
        response.append(XORRelayedAddress(TransportAddress(ip: configuration.relayAddress, port: relayPort)))
        response.append(Lifetime(seconds: UInt32(pending.lifetime)))
        response.append(XORMappedAddress(pending.fiveTuple.client))
        let bytes = finish(response, key: pending.key, sha256: pending.integritySHA256, request: pending.request)
        allocations[pending.fiveTuple] = Allocation(
            fiveTuple: pending.fiveTuple, relayPort: relayPort, username: pending.username, key: pending.key,
            allocateTransaction: pending.request.transactionID, allocateResponse: bytes,
            expiry: now + pending.lifetime,
            bandwidth: TokenBucket(
                rate: configuration.bytesPerSecondPerAllocation, capacity: configuration.bytesPerSecondPerAllocation,
                now: now))
        tupleByRelayPort[relayPort] = pending.fiveTuple
        allocationsByUsername[pending.username, default: 0] += 1
        statistics.allocationsCreated += 1
        actions.append(.sendToClient(pending.fiveTuple, bytes))
    }

    /// The IO shell could not open the relay socket (port in use): try another, or answer 508.
    public mutating func relayBindFailed(relayPort: UInt16, now: UnixTime, actions: inout [TURNAction]) {
        guard var pending = pendingByRelayPort.removeValue(forKey: relayPort) else { return }
        pendingPortByTuple[pending.fiveTuple] = nil
        pending.attempts += 1
        if pending.attempts < AllocationTable.maximumBindAttempts,
            let port = freeRelayPort(even: pending.request.contains(.evenPort))
        {
            pendingByRelayPort[port] = pending
            pendingPortByTuple[pending.fiveTuple] = port
            actions.append(.bindRelay(relayPort: port))
        } else {
            actions.append(
                errorResponse(
                    to: pending.request, from: pending.fiveTuple, code: ErrorCode.insufficientCapacity,
                    key: pending.key,
                    sha256: pending.integritySHA256))
        }
    }

    /// A client's TCP connection closed: its allocation ends with it (RFC 8656 section 3.1).
    public mutating func clientConnectionClosed(_ fiveTuple: FiveTuple, actions: inout [TURNAction]) {
        if let port = pendingPortByTuple.removeValue(forKey: fiveTuple) {
            // The socket may still be opening; `relayBound` will release it.
            pendingByRelayPort[port] = nil
        }
        removeAllocation(fiveTuple, actions: &actions)
    }

    /// Time passed: expire allocations, permissions and channels; forget idle rate limits.
    public mutating func timerFired(now: UnixTime, actions: inout [TURNAction]) {
        for (fiveTuple, allocation) in allocations {
            if allocation.expiry <= now {
                removeAllocation(fiveTuple, actions: &actions)
            } else {
                allocations[fiveTuple]?.expire(now: now)
            }
        }
        unauthorizedReplies = unauthorizedReplies.filter { !$0.value.isFull(now: now) }
    }

    // MARK: Helpers shared by the request handlers

    mutating func removeAllocation(_ fiveTuple: FiveTuple, actions: inout [TURNAction]) {
        guard let allocation = allocations.removeValue(forKey: fiveTuple) else { return }
        tupleByRelayPort[allocation.relayPort] = nil
        let remaining = (allocationsByUsername[allocation.username] ?? 1) - 1
        allocationsByUsername[allocation.username] = remaining > 0 ? remaining : nil
        actions.append(.releaseRelay(relayPort: allocation.relayPort))
    }

    /// A random relay port that is neither in use nor being opened.
    mutating func freeRelayPort(even: Bool = false) -> UInt16? {
        let range = configuration.relayPorts
        func isFree(_ port: UInt16) -> Bool {
            tupleByRelayPort[port] == nil && pendingByRelayPort[port] == nil && (!even || port % 2 == 0)
        }
        for _ in 0..<32 {
            let port = UInt16.random(in: range, using: &random)
            if isFree(port) { return port }
        }
        return range.first(where: isFree)
    }

    /// Encodes a response protected like the request was, with FINGERPRINT if the request had one.
    func finish(_ response: STUNMessage, key: [UInt8]?, sha256: Bool, request: STUNMessage) -> [UInt8] {
        var response = response
        if let software = configuration.software { response.append(Software(text: software)) }
        let integrity: STUNIntegrity? = key.map { sha256 ? .sha256(key: $0) : .sha1(key: $0) }
        return response.encode(integrity: integrity, fingerprint: request.contains(.fingerprint))
    }

    func errorResponse(
        to request: STUNMessage, from fiveTuple: FiveTuple, code: Int, key: [UInt8]?, sha256: Bool = false,
        extra: [STUNAttribute] = []
    ) -> TURNAction {
        var response = STUNMessage(type: .error(request.type.method), transactionID: request.transactionID)
        response.append(ErrorCode(code: code))
        response.attributes += extra
        return .sendToClient(fiveTuple, finish(response, key: key, sha256: sha256, request: request))
    }
}

extension AllocationTable {
    /// Convenience for tests and simple callers: one event, its actions as an array.
    public mutating func clientDatagramReceived(_ bytes: [UInt8], from fiveTuple: FiveTuple, now: UnixTime)
        -> [TURNAction]
    {
        var actions: [TURNAction] = []
        clientDatagramReceived(bytes, from: fiveTuple, now: now, actions: &actions)
        return actions
    }

    public mutating func peerDatagramReceived(
        _ bytes: [UInt8], relayPort: UInt16, from peer: TransportAddress, now: UnixTime
    ) -> [TURNAction] {
        var actions: [TURNAction] = []
        peerDatagramReceived(bytes, relayPort: relayPort, from: peer, now: now, actions: &actions)
        return actions
    }

    public mutating func relayBound(relayPort: UInt16, now: UnixTime) -> [TURNAction] {
        var actions: [TURNAction] = []
        relayBound(relayPort: relayPort, now: now, actions: &actions)
        return actions
    }

    public mutating func relayBindFailed(relayPort: UInt16, now: UnixTime) -> [TURNAction] {
        var actions: [TURNAction] = []
        relayBindFailed(relayPort: relayPort, now: now, actions: &actions)
        return actions
    }

    public mutating func timerFired(now: UnixTime) -> [TURNAction] {
        var actions: [TURNAction] = []
        timerFired(now: now, actions: &actions)
        return actions
    }

    public mutating func clientConnectionClosed(_ fiveTuple: FiveTuple) -> [TURNAction] {
        var actions: [TURNAction] = []
        clientConnectionClosed(fiveTuple, actions: &actions)
        return actions
    }
}
