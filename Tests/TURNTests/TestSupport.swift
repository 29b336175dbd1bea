import STUN
import TURN
import Testing

/// Seeded so relay ports and nonces are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let start = UnixTime(seconds: 1_700_000_000)
let secret = "north"
let serverAddress = TransportAddress("198.51.100.1:3478")!
let clientAddress = TransportAddress("203.0.113.5:40000")!
let clientTuple = FiveTuple(client: clientAddress, server: serverAddress, transport: .udp)
let publicPeer = TransportAddress("8.8.4.4:5000")!

func makeTable(_ adjust: (inout TURNConfiguration) -> Void = { _ in }) -> AllocationTable {
    var configuration = TURNConfiguration(
        secret: secret, relayAddress: serverAddress.ip, relayPorts: 50000...50100,
        policy: PeerAddressPolicy(serverAddresses: [serverAddress.ip], serverPorts: [3478]))
    adjust(&configuration)
    return AllocationTable(configuration: configuration, random: SplitMix64(seed: 7))
}

/// A TURN client scripted step by step against an ``AllocationTable``, as a browser would be.
struct ScriptedClient {
    var tuple = clientTuple
    var credentials = TURNCredentials.mint(secret: secret, peerID: "alice", now: start, ttl: 3600)
    var realm = "parley"
    var nonce: String?

    func request(_ method: STUNMethod, _ build: (inout STUNMessage) -> Void = { _ in }) -> [UInt8] {
        var message = STUNMessage(type: .request(method), transactionID: .random())
        build(&message)
        guard let nonce else { return message.encode() }
        message.append(Username(text: credentials.username))
        message.append(Realm(text: realm))
        message.append(Nonce(text: nonce))
        let key = MessageIntegrity.longTermKey(
            username: credentials.username, realm: realm, password: credentials.password)
        return message.encode(integrity: .sha1(key: key), fingerprint: true)
    }

    /// Allocate without credentials, learn the nonce from the 401, allocate again, open the relay.
    mutating func allocate(on table: inout AllocationTable, now: UnixTime = start) throws -> UInt16 {
        let challenge = table.clientDatagramReceived(
            request(.allocate) { $0.append(RequestedTransport.udp) }, from: tuple, now: now)
        let reply = try #require(challenge.single.flatMap(\.clientMessage))
        #expect(try reply.attribute(ErrorCode.self)?.code == 401)
        nonce = try reply.attribute(Nonce.self)?.text
        let bind = table.clientDatagramReceived(
            request(.allocate) { $0.append(RequestedTransport.udp) }, from: tuple, now: now)
        guard case .bindRelay(let port)? = bind.single else {
            Issue.record("expected bindRelay, got \(bind)")
            return 0
        }
        let success = table.relayBound(relayPort: port, now: now)
        let response = try #require(success.single.flatMap(\.clientMessage))
        #expect(response.type == .success(.allocate))
        #expect(
            try response.attribute(XORRelayedAddress.self)?.address
                == TransportAddress(ip: serverAddress.ip, port: port))
        return port
    }

    func send(_ data: [UInt8], to peer: TransportAddress) -> [UInt8] {
        var message = STUNMessage(type: .indication(.send), transactionID: .random())
        message.append(XORPeerAddress(peer))
        message.append(DataAttribute(data))
        return message.encode()
    }
}

extension Array where Element == TURNAction {
    var single: TURNAction? { count == 1 ? self[0] : nil }
    var sentToPeers: [TURNAction] { filter { if case .sendToPeer = $0 { true } else { false } } }
}

extension TURNAction {
    /// The STUN message sent to the client, decoded.
    var clientMessage: STUNMessage? {
        guard case .sendToClient(_, let bytes) = self else { return nil }
        return try? STUNMessage(decoding: bytes)
    }
}
