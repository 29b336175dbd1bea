import MediaCrypto
import Testing

@Suite struct DTLSFailureTests {
    /// A server expecting another fingerprint than the client's certificate fails, saying why.
    @Test func serverRejectsClientWithWrongFingerprint() async throws {
        let (client, server) = try makeEndpoints(serverExpects: Certificates.server.fingerprintSHA256)
        try await Link(client: client, server: server).run()
        let reason = try #require(server.state.failureReason)
        #expect(reason.contains("fingerprint"))
        // The server's alert ends the client's handshake as well.
        #expect(client.state.keys == nil)
    }

    /// A client expecting another fingerprint than the server's certificate fails, saying why.
    @Test func clientRejectsServerWithWrongFingerprint() async throws {
        let (client, server) = try makeEndpoints(clientExpects: Certificates.client.fingerprintSHA256)
        try await Link(client: client, server: server).run()
        let reason = try #require(client.state.failureReason)
        #expect(reason.contains("fingerprint"))
        #expect(server.state.keys == nil)
    }

    /// Fingerprints compare case-insensitively: a lowercase SDP value connects.
    @Test func fingerprintComparisonIgnoresCase() async throws {
        let (client, server) = try makeEndpoints(
            serverExpects: Certificates.client.fingerprintSHA256.lowercased())
        try await Link(client: client, server: server).run()
        #expect(server.state.keys != nil)
    }

    /// An empty expected fingerprint (no a=fingerprint in SDP) fails the handshake.
    @Test func emptyExpectedFingerprintFails() async throws {
        let (client, server) = try makeEndpoints(serverExpects: "")
        try await Link(client: client, server: server).run()
        #expect(server.state.failureReason?.contains("fingerprint") == true)
    }

    /// Random bytes and truncated records give [] and leave the handshake able to finish.
    @Test func garbageDatagramsAreIgnored() async throws {
        let (client, server) = try makeEndpoints()
        // A started client of its own supplies a real ClientHello to cut up, and is fed garbage
        // while it waits for the answer. Its timer is long: OpenSSL re-sends on its own when a
        // datagram arrives after its wall-clock timer ran out, and that is not what is tested.
        let (waitingClient, _) = try makeEndpoints(initialRetransmission: .seconds(10))
        let clientHello = try #require(waitingClient.start(now: .now).first)
        var random = SeededGenerator(state: 7)
        for length in [0, 1, 12, 13, 14, 50, 200, 1500, 70_000] {
            for firstByte: UInt8 in [0, 22, 23, 63, 64, 128, 255] {
                var garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                if !garbage.isEmpty { garbage[0] = firstByte }
                #expect(server.receive(garbage, now: .now) == [])
                #expect(waitingClient.receive(garbage, now: .now) == [])
            }
        }
        for cut in [1, 13, 14, clientHello.count / 2, clientHello.count - 1] {
            #expect(server.receive(Array(clientHello.prefix(cut)), now: .now) == [])
        }
        // A record header claiming more than is there, and DTLS 1.2 headers on noise.
        var lying = Array(clientHello.prefix(20))
        lying[11] = 0xFF
        lying[12] = 0xFF
        #expect(server.receive(lying, now: .now) == [])
        for type: UInt8 in [20, 21, 22, 23] {
            let noise = [type, 0xFE, 0xFD] + (0..<60).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(server.receive(noise, now: .now) == [])
            #expect(waitingClient.receive(noise, now: .now) == [])
        }
        #expect(server.state == .handshaking)
        #expect(waitingClient.state == .handshaking)

        // The real handshake still completes, and garbage after it changes nothing.
        try await Link(client: client, server: server).run()
        #expect(client.state.keys != nil && server.state.keys != nil)
        for _ in 0..<50 {
            let garbage = [23, 0xFE, 0xFD] + (0..<40).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(server.receive(garbage, now: .now) == [])
            #expect(client.receive(garbage, now: .now) == [])
        }
        #expect(client.state.keys != nil && server.state.keys != nil)
    }

    /// After failing, an endpoint answers nothing and never leaves .failed.
    @Test func recordsAfterFailureAreIgnored() async throws {
        let (client, server) = try makeEndpoints(serverExpects: Certificates.server.fingerprintSHA256)
        let link = Link(client: client, server: server)
        try await link.run()
        let failed = server.state
        #expect(failed.failureReason != nil)
        for datagram in link.sent {
            #expect(server.receive(datagram, now: .now) == [])
        }
        #expect(server.state == failed)
        #expect(server.handleTimeout(now: .now + .seconds(100)) == [])
        #expect(server.close() == [])
        #expect(server.nextDeadline == nil)
    }

    /// An MTU too small for DTLS, or no SRTP profile, is refused at init.
    @Test func invalidConfigurationIsRefused() {
        #expect(throws: MediaCryptoError.self) {
            _ = try DTLSEndpoint(
                role: .server, certificate: Certificates.server, remoteFingerprintSHA256: nil, mtu: 100)
        }
        #expect(throws: MediaCryptoError.self) {
            _ = try DTLSEndpoint(
                role: .server, certificate: Certificates.server, remoteFingerprintSHA256: nil, srtpProfiles: [])
        }
    }
}
