import STUN
import TURN
import Testing

@Suite struct AllocationTableTests {
    /// Binding is answered for everyone, without credentials, with the reflexive address.
    @Test func bindingNeedsNoCredentials() throws {
        var table = makeTable()
        let request = STUNMessage(type: .request(.binding), transactionID: .random()).encode()
        let response = try #require(
            table.clientDatagramReceived(request, from: clientTuple, now: start).single?.clientMessage)
        #expect(response.type == .success(.binding))
        #expect(try response.attribute(XORMappedAddress.self)?.address == clientAddress)
    }

    /// Allocate without credentials gets 401 with REALM and NONCE; with them, a relay port is
    /// opened and the success carries the relayed and mapped addresses and the lifetime.
    @Test func allocateAfterChallenge() throws {
        var table = makeTable()
        var client = ScriptedClient()
        let port = try client.allocate(on: &table)
        #expect((50000...50100).contains(port))
        #expect(table.allocationCount == 1)
        #expect(table.relayPort(of: clientTuple) == port)
    }

    /// The success response is integrity-protected with the client's long-term key.
    @Test func responsesAreSigned() throws {
        var table = makeTable()
        var client = ScriptedClient()
        _ = try client.allocate(on: &table)
        let refresh = client.request(.refresh) { $0.append(Lifetime(seconds: 1200)) }
        let response = try #require(
            table.clientDatagramReceived(refresh, from: clientTuple, now: start).single?.clientMessage)
        let key = MessageIntegrity.longTermKey(
            username: client.credentials.username, realm: "parley", password: client.credentials.password)
        #expect(response.verifyIntegrity(key: key) == .valid(sha256: false))
        #expect(try response.attribute(Lifetime.self)?.seconds == 1200)
    }

    /// A retransmitted Allocate gets the same success again, not 437.
    @Test func retransmittedAllocate() throws {
        var table = makeTable()
        var client = ScriptedClient()
        _ = table.clientDatagramReceived(
            client.request(.allocate) { $0.append(RequestedTransport.udp) }, from: clientTuple, now: start)
        client.nonce = "will be replaced"
        let first = table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start)
        client.nonce = try #require(first.single?.clientMessage).attribute(Nonce.self)?.text
        let allocate = client.request(.allocate) { $0.append(RequestedTransport.udp) }
        guard case .bindRelay(let port)? = table.clientDatagramReceived(allocate, from: clientTuple, now: start).single
        else {
            Issue.record("no bind")
            return
        }
        #expect(table.clientDatagramReceived(allocate, from: clientTuple, now: start).isEmpty)  // still binding
        let original = table.relayBound(relayPort: port, now: start)
        let again = table.clientDatagramReceived(allocate, from: clientTuple, now: start + 1)
        #expect(again == original)
        // A different Allocate on the same 5-tuple is a mismatch.
        let other = client.request(.allocate) { $0.append(RequestedTransport.udp) }
        let mismatch = try #require(
            table.clientDatagramReceived(other, from: clientTuple, now: start + 1).single?.clientMessage)
        #expect(try mismatch.attribute(ErrorCode.self)?.code == 437)
    }

    /// When the relay port cannot be opened another is tried, and after several failures 508.
    @Test func relayBindFailureRetriesThenGivesUp() throws {
        var table = makeTable()
        var client = ScriptedClient()
        _ = table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start)
        client.nonce = try #require(
            table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start).single?.clientMessage
        )
        .attribute(Nonce.self)?.text
        var actions = table.clientDatagramReceived(
            client.request(.allocate) { $0.append(RequestedTransport.udp) }, from: clientTuple, now: start)
        for _ in 0..<7 {
            guard case .bindRelay(let port)? = actions.single else { break }
            actions = table.relayBindFailed(relayPort: port, now: start)
        }
        #expect(actions.single.flatMap(\.clientMessage).flatMap { try? $0.attribute(ErrorCode.self)?.code } == nil)
        guard case .bindRelay(let last)? = actions.single else {
            Issue.record("expected a last attempt")
            return
        }
        let failure = try #require(table.relayBindFailed(relayPort: last, now: start).single?.clientMessage)
        #expect(try failure.attribute(ErrorCode.self)?.code == 508)
    }

    /// Wrong password, expired username and wrong realm all get 401.
    @Test(arguments: ["password", "expired", "realm"])
    func badCredentialsGet401(kind: String) throws {
        var table = makeTable()
        var client = ScriptedClient()
        let challenge = table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start)
        client.nonce = try #require(challenge.single?.clientMessage).attribute(Nonce.self)?.text
        switch kind {
        case "password": client.credentials.password = "guess"
        case "expired": client.credentials = TURNCredentials.mint(secret: secret, peerID: "a", now: start, ttl: -1)
        default: client.realm = "elsewhere"
        }
        let reply = try #require(
            table.clientDatagramReceived(
                client.request(.allocate) { $0.append(RequestedTransport.udp) }, from: clientTuple, now: start
            )
            .single?.clientMessage)
        #expect(try reply.attribute(ErrorCode.self)?.code == 401)
        #expect(table.allocationCount == 0)
    }

    /// A nonce older than its lifetime gets 438 with a fresh nonce, which then works.
    @Test func staleNonceGets438() throws {
        var table = makeTable { $0.nonceLifetime = 100 }
        var client = ScriptedClient()
        _ = try client.allocate(on: &table)
        let later = start + 200
        let stale = try #require(
            table.clientDatagramReceived(client.request(.refresh), from: clientTuple, now: later).single?.clientMessage)
        #expect(try stale.attribute(ErrorCode.self)?.code == 438)
        client.nonce = try stale.attribute(Nonce.self)?.text
        let fresh = try #require(
            table.clientDatagramReceived(client.request(.refresh), from: clientTuple, now: later).single?.clientMessage)
        #expect(fresh.type == .success(.refresh))
    }

    /// A nonce issued to one client address does not work from another.
    @Test func nonceIsBoundToClientAddress() throws {
        var table = makeTable()
        var client = ScriptedClient()
        let challenge = table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start)
        client.nonce = try #require(challenge.single?.clientMessage).attribute(Nonce.self)?.text
        client.tuple.client = TransportAddress("203.0.113.99:40000")!
        let reply = try #require(
            table.clientDatagramReceived(
                client.request(.allocate) { $0.append(RequestedTransport.udp) }, from: client.tuple, now: start
            )
            .single?.clientMessage)
        #expect(try reply.attribute(ErrorCode.self)?.code == 438)
    }

    /// 401 replies to one address are rate limited: a flood gets a burst, then silence.
    @Test func unauthorizedRepliesAreRateLimited() {
        var table = makeTable()
        let client = ScriptedClient()
        var replies = 0
        for _ in 0..<100 {
            replies += table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start).count
        }
        #expect(replies == 20)
        #expect(table.statistics.unauthorizedRepliesSuppressed == 80)
        // Tokens come back with time.
        #expect(table.clientDatagramReceived(client.request(.allocate), from: clientTuple, now: start + 1).count == 1)
    }

    /// CreatePermission, then a Send indication reaches the peer from the relay port, and the
    /// peer's answer comes back as a Data indication.
    @Test func sendAndDataIndications() throws {
        var table = makeTable()
        var client = ScriptedClient()
        let port = try client.allocate(on: &table)
        // Without a permission nothing is relayed.
        #expect(
            table.clientDatagramReceived(client.send([1, 2, 3], to: publicPeer), from: clientTuple, now: start).isEmpty)
        #expect(table.peerDatagramReceived([9], relayPort: port, from: publicPeer, now: start).isEmpty)

        let permission = client.request(.createPermission) { $0.append(XORPeerAddress(publicPeer)) }
        let ok = try #require(
            table.clientDatagramReceived(permission, from: clientTuple, now: start).single?.clientMessage)
        #expect(ok.type == .success(.createPermission))

        let sent = table.clientDatagramReceived(client.send([1, 2, 3], to: publicPeer), from: clientTuple, now: start)
        #expect(sent == [.sendToPeer(relayPort: port, peer: publicPeer, [1, 2, 3])])

        // Permissions are by IP: another port on the same peer may answer.
        let otherPort = TransportAddress(ip: publicPeer.ip, port: 6000)
        let data = try #require(
            table.peerDatagramReceived([7, 8], relayPort: port, from: otherPort, now: start).single?.clientMessage)
        #expect(data.type == .indication(.data))
        #expect(try data.attribute(XORPeerAddress.self)?.address == otherPort)
        #expect(try data.attribute(DataAttribute.self)?.bytes == [7, 8])
    }

    /// ChannelBind, then ChannelData both ways; TCP clients get padded frames.
    @Test(arguments: [ClientTransport.udp, .tcp])
    func channelDataBothWays(transport: ClientTransport) throws {
        var table = makeTable()
        var client = ScriptedClient()
        client.tuple.transport = transport
        let port = try client.allocate(on: &table)
        let bind = client.request(.channelBind) {
            $0.append(ChannelNumber(0x4001))
            $0.append(XORPeerAddress(publicPeer))
        }
        let ok = try #require(table.clientDatagramReceived(bind, from: client.tuple, now: start).single?.clientMessage)
        #expect(ok.type == .success(.channelBind))

        let frame = ChannelData.encode(channel: 0x4001, payload: [1, 2, 3, 4, 5], padded: transport == .tcp)
        #expect(
            table.clientDatagramReceived(frame, from: client.tuple, now: start) == [
                .sendToPeer(relayPort: port, peer: publicPeer, [1, 2, 3, 4, 5])
            ])

        let back = table.peerDatagramReceived([6, 7], relayPort: port, from: publicPeer, now: start)
        let expected = ChannelData.encode(channel: 0x4001, payload: [6, 7], padded: transport == .tcp)
        #expect(back == [.sendToClient(client.tuple, expected)])

        // An unbound channel relays nothing.
        #expect(
            table.clientDatagramReceived(
                ChannelData.encode(channel: 0x4002, payload: [1], padded: false), from: client.tuple, now: start
            ).isEmpty)
    }

    /// Two clients relaying through this server reach each other without leaving it: a channel
    /// from Alice to Bob's relayed address comes out as ChannelData (or a Data indication) to
    /// Bob, from Alice's relayed address, and only once Bob has a permission for it.
    @Test func relayToRelayStaysInside() throws {
        var table = makeTable()
        var alice = ScriptedClient()
        var bob = ScriptedClient()
        bob.tuple.client.port = 40001
        bob.credentials = TURNCredentials.mint(secret: secret, peerID: "bob", now: start, ttl: 3600)
        let alicePort = try alice.allocate(on: &table)
        let bobPort = try bob.allocate(on: &table)
        let aliceRelay = TransportAddress(ip: serverAddress.ip, port: alicePort)
        let bobRelay = TransportAddress(ip: serverAddress.ip, port: bobPort)
        let bind = alice.request(.channelBind) {
            $0.append(ChannelNumber(0x4001))
            $0.append(XORPeerAddress(bobRelay))
        }
        #expect(
            table.clientDatagramReceived(bind, from: alice.tuple, now: start).single?.clientMessage?.type
                == .success(.channelBind))
        let frame = ChannelData.encode(channel: 0x4001, payload: [1, 2, 3], padded: false)

        // Bob has not permitted Alice yet: nothing reaches him, nothing leaves the server.
        #expect(table.clientDatagramReceived(frame, from: alice.tuple, now: start).isEmpty)

        let permission = bob.request(.createPermission) { $0.append(XORPeerAddress(aliceRelay)) }
        _ = table.clientDatagramReceived(permission, from: bob.tuple, now: start)
        let delivered = try #require(table.clientDatagramReceived(frame, from: alice.tuple, now: start).single)
        let indication = try #require(delivered.clientMessage)
        guard case .sendToClient(let tuple, _) = delivered, tuple == bob.tuple else {
            Issue.record("expected a datagram to Bob, got \(delivered)")
            return
        }
        #expect(indication.type == .indication(.data))
        #expect(try indication.attribute(XORPeerAddress.self)?.address == aliceRelay)
        #expect(try indication.attribute(DataAttribute.self)?.bytes == [1, 2, 3])

        // With Bob's channel to Alice, the same packet arrives as ChannelData.
        let bobBind = bob.request(.channelBind) {
            $0.append(ChannelNumber(0x4002))
            $0.append(XORPeerAddress(aliceRelay))
        }
        _ = table.clientDatagramReceived(bobBind, from: bob.tuple, now: start)
        #expect(
            table.clientDatagramReceived(frame, from: alice.tuple, now: start) == [
                .sendToClient(bob.tuple, ChannelData.encode(channel: 0x4002, payload: [1, 2, 3], padded: false))
            ])
        #expect(table.statistics.packetsRelayedToPeers == 3)
        #expect(table.statistics.packetsRelayedToClients == 2)
    }

    /// A channel cannot be rebound to another peer, nor a peer to another channel, and numbers
    /// outside 0x4000...0x7FFF are refused.
    @Test func channelBindRules() throws {
        var table = makeTable()
        var client = ScriptedClient()
        _ = try client.allocate(on: &table)
        func bind(_ number: UInt16, _ peer: TransportAddress) throws -> Int? {
            let request = client.request(.channelBind) {
                $0.append(ChannelNumber(number))
                $0.append(XORPeerAddress(peer))
            }
            let reply = try #require(
                table.clientDatagramReceived(request, from: clientTuple, now: start).single?.clientMessage)
            return try reply.attribute(ErrorCode.self)?.code
        }
        #expect(try bind(0x4001, publicPeer) == nil)
        #expect(try bind(0x4001, publicPeer) == nil)  // refresh
        #expect(try bind(0x4001, TransportAddress("8.8.4.4:5001")!) == 400)
        #expect(try bind(0x4002, publicPeer) == 400)
        #expect(try bind(0x3FFF, TransportAddress("8.8.4.4:5002")!) == 400)
        #expect(try bind(0x8000, TransportAddress("8.8.4.4:5002")!) == 400)
    }

    /// Refresh with lifetime 0 deletes the allocation and releases its relay port.
    @Test func refreshZeroDeletes() throws {
        var table = makeTable()
        var client = ScriptedClient()
        let port = try client.allocate(on: &table)
        let actions = table.clientDatagramReceived(
            client.request(.refresh) { $0.append(Lifetime(seconds: 0)) }, from: clientTuple, now: start)
        #expect(actions.first == .releaseRelay(relayPort: port))
        #expect(actions.last?.clientMessage?.type == .success(.refresh))
        #expect(table.allocationCount == 0)
        // Later requests on the 5-tuple get 437.
        let reply = try #require(
            table.clientDatagramReceived(client.request(.refresh), from: clientTuple, now: start).single?.clientMessage)
        #expect(try reply.attribute(ErrorCode.self)?.code == 437)
    }

    /// Allocations, permissions and channels expire with time passed in.
    @Test func lifetimesExpire() throws {
        var table = makeTable()
        var client = ScriptedClient()
        let port = try client.allocate(on: &table)
        let bind = client.request(.channelBind) {
            $0.append(ChannelNumber(0x4001))
            $0.append(XORPeerAddress(publicPeer))
        }
        _ = table.clientDatagramReceived(bind, from: clientTuple, now: start)
        // Permission (300 s) lapses before the channel (600 s): nothing relays at 301 s.
        #expect(table.timerFired(now: start + 301).isEmpty)
        #expect(table.peerDatagramReceived([1], relayPort: port, from: publicPeer, now: start + 301).isEmpty)
        #expect(
            table.clientDatagramReceived(
                ChannelData.encode(channel: 0x4001, payload: [1], padded: false), from: clientTuple, now: start + 301
            ).isEmpty)
        // The allocation (600 s default) goes at 600 s and its port is released.
        #expect(table.timerFired(now: start + 599).isEmpty)
        #expect(table.timerFired(now: start + 600) == [.releaseRelay(relayPort: port)])
        #expect(table.allocationCount == 0)
    }

    /// Requested lifetimes are clamped to [600 s, 3600 s].
    @Test func lifetimeIsClamped() throws {
        var table = makeTable()
        var client = ScriptedClient()
        _ = try client.allocate(on: &table)
        let long = client.request(.refresh) { $0.append(Lifetime(seconds: 99_999)) }
        let reply = try #require(
            table.clientDatagramReceived(long, from: clientTuple, now: start).single?.clientMessage)
        #expect(try reply.attribute(Lifetime.self)?.seconds == 3600)
    }

    /// Allocations per username are limited (486); permissions per allocation too (508).
    @Test func quotas() throws {
        var table = makeTable {
            $0.maximumAllocationsPerUsername = 2
            $0.maximumPermissionsPerAllocation = 2
        }
        for index in 0..<2 {
            var client = ScriptedClient()
            client.tuple.client.port = UInt16(41000 + index)
            _ = try client.allocate(on: &table)
        }
        var third = ScriptedClient()
        third.tuple.client.port = 42000
        _ = table.clientDatagramReceived(third.request(.allocate), from: third.tuple, now: start)
        third.nonce = try #require(
            table.clientDatagramReceived(third.request(.allocate), from: third.tuple, now: start).single?.clientMessage
        )
        .attribute(Nonce.self)?.text
        let refused = try #require(
            table.clientDatagramReceived(
                third.request(.allocate) { $0.append(RequestedTransport.udp) }, from: third.tuple, now: start
            )
            .single?.clientMessage)
        #expect(try refused.attribute(ErrorCode.self)?.code == 486)

        var first = ScriptedClient()
        first.tuple.client.port = 41000
        first.nonce = third.nonce
        let three = client3Permissions(first)
        let reply = try #require(
            table.clientDatagramReceived(three, from: first.tuple, now: start).single?.clientMessage)
        #expect(try reply.attribute(ErrorCode.self)?.code == 508)
    }

    private func client3Permissions(_ client: ScriptedClient) -> [UInt8] {
        client.request(.createPermission) {
            $0.append(XORPeerAddress(TransportAddress("8.8.8.1:1")!))
            $0.append(XORPeerAddress(TransportAddress("8.8.8.2:1")!))
            $0.append(XORPeerAddress(TransportAddress("8.8.8.3:1")!))
        }
    }

    /// Relayed bytes per allocation are limited by a token bucket refilled with time.
    @Test func bandwidthIsLimited() throws {
        var table = makeTable { $0.bytesPerSecondPerAllocation = 1000 }
        var client = ScriptedClient()
        _ = try client.allocate(on: &table)
        _ = table.clientDatagramReceived(
            client.request(.createPermission) { $0.append(XORPeerAddress(publicPeer)) }, from: clientTuple, now: start)
        let payload = [UInt8](repeating: 0, count: 400)
        var relayed = 0
        for _ in 0..<5 {
            relayed +=
                table.clientDatagramReceived(client.send(payload, to: publicPeer), from: clientTuple, now: start).count
        }
        #expect(relayed == 2)
        #expect(
            table.clientDatagramReceived(client.send(payload, to: publicPeer), from: clientTuple, now: start + 1).count
                == 1)
    }

    /// Comprehension-required attributes the server does not know get 420 listing them.
    @Test func unknownAttributeGets420() throws {
        var table = makeTable()
        var message = STUNMessage(type: .request(.allocate), transactionID: .random())
        message.attributes.append(STUNAttribute(type: .reservationToken, value: [1, 2, 3, 4, 5, 6, 7, 8]))
        let reply = try #require(
            table.clientDatagramReceived(message.encode(), from: clientTuple, now: start).single?.clientMessage)
        #expect(try reply.attribute(ErrorCode.self)?.code == 420)
        #expect(try reply.attribute(UnknownAttributes.self)?.types == [.reservationToken])
    }

    /// Closing a TCP connection ends its allocation.
    @Test func tcpCloseEndsAllocation() throws {
        var table = makeTable()
        var client = ScriptedClient()
        client.tuple.transport = .tcp
        let port = try client.allocate(on: &table)
        #expect(table.clientConnectionClosed(client.tuple) == [.releaseRelay(relayPort: port)])
        #expect(table.allocationCount == 0)
    }

    /// Garbage never produces a reply or a relayed packet.
    @Test func garbageIsDropped() {
        var table = makeTable()
        for bytes: [UInt8] in [[], [0], [0xFF, 1, 2], [0x40, 1, 0, 0], Array(repeating: 0, count: 20)] {
            #expect(table.clientDatagramReceived(bytes, from: clientTuple, now: start).isEmpty)
        }
    }
}
