import MediaCrypto
import Testing

@Suite struct DTLSHandshakeTests {
    /// Client and server, each with the other's fingerprint, connect and agree on GCM keys.
    @Test func inMemoryHandshakeConnectsWithMatchingGCMKeys() async throws {
        let (client, server) = try makeEndpoints()
        let link = Link(client: client, server: server)
        try await link.run()
        let clientKeys = try #require(client.state.keys)
        let serverKeys = try #require(server.state.keys)
        #expect(clientKeys.profile == .aeadAES128GCM)
        #expect(serverKeys.profile == .aeadAES128GCM)
        #expect(clientKeys.localKey == serverKeys.remoteKey)
        #expect(clientKeys.localSalt == serverKeys.remoteSalt)
        #expect(clientKeys.remoteKey == serverKeys.localKey)
        #expect(clientKeys.remoteSalt == serverKeys.localSalt)
        #expect(clientKeys.localKey.count == 16 && clientKeys.localSalt.count == 12)
        #expect(clientKeys.localKey != clientKeys.remoteKey)
        #expect(link.timeoutsHandled == 0)
        #expect(client.nextDeadline == nil && server.nextDeadline == nil)
    }

    /// A client that offers only AES_CM_128_HMAC_SHA1_80 gets it, with 14-byte salts.
    @Test func clientOfferingOnlyCMNegotiatesCM() async throws {
        let (client, server) = try makeEndpoints(clientProfiles: [.aes128CMHMACSHA1_80])
        try await Link(client: client, server: server).run()
        let clientKeys = try #require(client.state.keys)
        let serverKeys = try #require(server.state.keys)
        #expect(serverKeys.profile == .aes128CMHMACSHA1_80)
        #expect(clientKeys.localSalt.count == 14)
        #expect(clientKeys.localKey == serverKeys.remoteKey && clientKeys.localSalt == serverKeys.remoteSalt)
    }

    /// With the client's first flight and the server's first flight lost, retransmission recovers.
    @Test func handshakeRecoversFromLostFlights() async throws {
        let (client, server) = try makeEndpoints()
        let link = Link(client: client, server: server) { sender, flight in
            (sender == .client && flight == 0) || (sender == .server && flight == 0)
        }
        try await link.run()
        #expect(client.state.keys != nil)
        #expect(server.state.keys != nil)
        #expect(client.state.keys?.localKey == server.state.keys?.remoteKey)
        #expect(link.timeoutsHandled >= 2)
    }

    /// Losing the server's last flight (its Finished) is recovered by the client's retransmission.
    @Test func handshakeRecoversFromLostFinalServerFlight() async throws {
        let (client, server) = try makeEndpoints()
        let link = Link(client: client, server: server) { sender, flight in sender == .server && flight == 1 }
        try await link.run()
        #expect(client.state.keys != nil)
        #expect(server.state.keys != nil)
    }

    /// Keys from the handshake make SRTP contexts that talk to each other in both directions.
    @Test func exportedKeysMakeWorkingSRTPContexts() async throws {
        let (client, server) = try makeEndpoints()
        try await Link(client: client, server: server).run()
        let clientContexts = try #require(client.state.keys).makeContexts()
        let serverContexts = try #require(server.state.keys).makeContexts()
        let plain = hex("80 60 00 01 00 00 00 10 11 22 33 44") + Array("hello".utf8)
        var packet = plain
        try clientContexts.outbound.protectRTP(&packet)
        try serverContexts.inbound.unprotectRTP(&packet)
        #expect(packet == plain)
        packet = plain
        try serverContexts.outbound.protectRTP(&packet)
        try clientContexts.inbound.unprotectRTP(&packet)
        #expect(packet == plain)
    }

    /// Every datagram fits the MTU, with a small MTU that forces fragmented flights.
    @Test func flightsAreSplitToFitTheMTU() async throws {
        let (client, server) = try makeEndpoints(mtu: 300)
        let link = Link(client: client, server: server)
        try await link.run()
        #expect(client.state.keys != nil && server.state.keys != nil)
        #expect(link.sent.allSatisfy { $0.count <= 300 })
        #expect(link.sent.contains { $0.count > 250 })
    }

    /// close() sends close_notify; the peer that reads it is closed too.
    @Test func closeSendsCloseNotify() async throws {
        let (client, server) = try makeEndpoints()
        try await Link(client: client, server: server).run()
        let goodbye = server.close()
        #expect(server.state == .closed)
        #expect(!goodbye.isEmpty)
        for datagram in goodbye { #expect(client.receive(datagram, now: .now) == []) }
        #expect(client.state == .closed)
        #expect(server.close() == [])
    }

    /// A server has nothing to send and no deadline until a ClientHello arrives.
    @Test func serverWaitsForClientHello() throws {
        let (client, server) = try makeEndpoints()
        #expect(server.start(now: .now) == [])
        #expect(server.nextDeadline == nil)
        let now = ContinuousClock.now
        let hello = client.start(now: now)
        #expect(hello.count == 1)
        let deadline = try #require(client.nextDeadline)
        #expect(deadline > now && deadline <= now + .milliseconds(60))
        #expect(client.start(now: now) == [])
    }
}
