import NIOCore
import STUN
import TURN
import TURNServer
import Testing

@Suite(.serialized) struct TURNServerServiceTests {
    /// STUN Binding over real UDP answers with the client's own address.
    @Test func bindingOverUDP() async throws {
        try await withTURNServer { addresses in
            let socket = try await TestSocket()
            defer { Task { await socket.close() } }
            let client = TURNTestClient(socket: socket, serverPort: addresses.udpPort)
            let response = try await client.request(.binding)
            #expect(response.type == .success(.binding))
            #expect(try response.attribute(XORMappedAddress.self)?.address == socket.address)
        }
    }

    /// The whole TURN flow on real sockets: 401 then Allocate, CreatePermission, Send reaches the
    /// peer from the relay port, the peer's reply comes back as a Data indication, ChannelBind
    /// and ChannelData both ways, a forbidden peer gets 403 and nothing, Refresh 0 deletes.
    @Test func relayFlow() async throws {
        try await withTURNServer { addresses in
            let socket = try await TestSocket()
            let peer = try await TestSocket()
            var client = TURNTestClient(socket: socket, serverPort: addresses.udpPort)

            let challenge = try await client.request(.allocate) { $0.append(RequestedTransport.udp) }
            #expect(try challenge.attribute(ErrorCode.self)?.code == 401)
            client.nonce = try challenge.attribute(Nonce.self)?.text
            let allocated = try await client.request(.allocate) { $0.append(RequestedTransport.udp) }
            #expect(allocated.type == .success(.allocate))
            let relayed = try #require(try allocated.attribute(XORRelayedAddress.self)?.address)
            #expect(relayed.ip == IPAddress("127.0.0.1"))

            let permitted = try await client.request(.createPermission) { $0.append(XORPeerAddress(peer.address)) }
            #expect(permitted.type == .success(.createPermission))

            // Send indication → the peer receives it from the relayed port.
            try await client.send([1, 2, 3], to: peer.address)
            let atPeer = try await peer.receive()
            #expect(atPeer.bytes == [1, 2, 3])
            #expect(atPeer.from == Int(relayed.port))

            // Peer → Data indication.
            try await peer.send([4, 5], to: Int(relayed.port))
            let data = try await STUNMessage(decoding: socket.receive().bytes)
            #expect(data.type == .indication(.data))
            #expect(try data.attribute(DataAttribute.self)?.bytes == [4, 5])
            #expect(try data.attribute(XORPeerAddress.self)?.address == peer.address)

            // ChannelBind, then ChannelData both ways.
            let bound = try await client.request(.channelBind) {
                $0.append(ChannelNumber(0x4000))
                $0.append(XORPeerAddress(peer.address))
            }
            #expect(bound.type == .success(.channelBind))
            try await socket.send(
                ChannelData.encode(channel: 0x4000, payload: [6, 7, 8], padded: false), to: addresses.udpPort)
            #expect(try await peer.receive().bytes == [6, 7, 8])
            try await peer.send([9], to: Int(relayed.port))
            let frame = try ChannelData(decoding: try await socket.receive().bytes)
            #expect(frame.channel == 0x4000)
            #expect(Array(frame.payload) == [9])

            // Forbidden peers: 403, and a Send to them relays nothing (the next packet the
            // metadata "peer" would see is absent; the permitted peer sees only its own).
            for forbidden in ["169.254.169.254:80", "[::ffff:169.254.169.254]:80", "127.0.0.1:\(addresses.udpPort)"] {
                let target = TransportAddress(forbidden)!
                let refused = try await client.request(.channelBind) {
                    $0.append(ChannelNumber(0x4001))
                    $0.append(XORPeerAddress(target))
                }
                #expect(try refused.attribute(ErrorCode.self)?.code == 403, "\(forbidden)")
                try await client.send([0xEE], to: target)
            }
            try await client.send([0x42], to: peer.address)
            #expect(try await peer.receive().bytes == [0x42])

            // Refresh with lifetime 0 deletes the allocation: the relay port stops relaying.
            let deleted = try await client.request(.refresh) { $0.append(Lifetime(seconds: 0)) }
            #expect(deleted.type == .success(.refresh))
            let gone = try await client.request(.refresh)
            #expect(try gone.attribute(ErrorCode.self)?.code == 437)

            await socket.close()
            await peer.close()
        }
    }

    /// TURN over TCP: a stream carrying an Allocate gets 401 then success.
    @Test func allocateOverTCP() async throws {
        try await withTURNServer { addresses in
            let port = try #require(addresses.tcpPort)
            let stream = try await TCPTestStream(port: port)
            var request = STUNMessage(type: .request(.allocate), transactionID: .random())
            request.append(RequestedTransport.udp)
            let challenge = try await stream.exchange(request.encode())
            #expect(try challenge.attribute(ErrorCode.self)?.code == 401)
            let credentials = TURNCredentials.mint(
                secret: testSecret, peerID: "tcp", now: UnixTime(seconds: WallClock.secondsNow), ttl: 600)
            request = STUNMessage(type: .request(.allocate), transactionID: .random())
            request.append(RequestedTransport.udp)
            request.append(Username(text: credentials.username))
            request.append(Realm(text: "parley"))
            request.append(try #require(try challenge.attribute(Nonce.self)))
            let key = MessageIntegrity.longTermKey(
                username: credentials.username, realm: "parley", password: credentials.password)
            let success = try await stream.exchange(request.encode(integrity: .sha1(key: key)))
            #expect(success.type == .success(.allocate))
            await stream.close()
        }
    }
}
