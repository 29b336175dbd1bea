import MediaCrypto

/// Bytes from hex text; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd hex length")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// A deterministic generator (SplitMix64), so "random" garbage is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Certificates are slow-ish to make; one pair serves every test, as one serves a process.
enum Certificates {
    static let client = try! DTLSCertificate.generate(commonName: "client")
    static let server = try! DTLSCertificate.generate(commonName: "server")
}

extension DTLSEndpoint.State {
    var keys: SRTPKeyingMaterial? {
        if case .connected(let keys) = self { return keys }
        return nil
    }
    var failureReason: String? {
        if case .failed(let reason) = self { return reason }
        return nil
    }
}

/// Two endpoints joined by a lossy in-memory link, driven by the real clock.
///
/// Each batch of datagrams one call returns is a flight; `drop(sender, n)` decides whether the
/// sender's n-th flight (0-based) is lost.
final class Link {
    let client: DTLSEndpoint
    let server: DTLSEndpoint
    let drop: (DTLSEndpoint.Role, Int) -> Bool
    private var toServer: [[UInt8]] = []
    private var toClient: [[UInt8]] = []
    private var flights: [DTLSEndpoint.Role: Int] = [:]
    /// Every datagram either side sent, dropped or not.
    private(set) var sent: [[UInt8]] = []
    private(set) var timeoutsHandled = 0

    init(
        client: DTLSEndpoint, server: DTLSEndpoint, drop: @escaping (DTLSEndpoint.Role, Int) -> Bool = { _, _ in false }
    ) {
        self.client = client
        self.server = server
        self.drop = drop
    }

    private func send(_ batch: [[UInt8]], from role: DTLSEndpoint.Role) {
        guard !batch.isEmpty else { return }
        sent += batch
        let number = flights[role, default: 0]
        flights[role] = number + 1
        if drop(role, number) { return }
        switch role {
        case .client: toServer += batch
        case .server: toClient += batch
        }
    }

    private var bothDone: Bool { client.state != .handshaking && server.state != .handshaking }

    /// Starts the client and shuttles datagrams, sleeping to deadlines, until both sides left
    /// `.handshaking` or nothing more can happen or `limit` passed.
    func run(limit: Duration = .seconds(5)) async throws {
        let end = ContinuousClock.now + limit
        _ = server.start(now: .now)
        send(client.start(now: .now), from: .client)
        while ContinuousClock.now < end {
            if !toServer.isEmpty || !toClient.isEmpty {
                let forServer = toServer
                let forClient = toClient
                toServer = []
                toClient = []
                for datagram in forServer { send(server.receive(datagram, now: .now), from: .server) }
                for datagram in forClient { send(client.receive(datagram, now: .now), from: .client) }
                continue
            }
            if bothDone { return }
            guard let next = [client.nextDeadline, server.nextDeadline].compactMap({ $0 }).min() else { return }
            try await Task.sleep(until: min(next, end), clock: .continuous)
            timeoutsHandled += 1
            send(client.handleTimeout(now: .now), from: .client)
            send(server.handleTimeout(now: .now), from: .server)
        }
    }
}

func makeEndpoints(
    clientExpects: String? = Certificates.server.fingerprintSHA256,
    serverExpects: String? = Certificates.client.fingerprintSHA256,
    mtu: Int = 1200, initialRetransmission: Duration = .milliseconds(50), maximumRetransmissions: Int = 6,
    clientProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]
) throws -> (client: DTLSEndpoint, server: DTLSEndpoint) {
    let client = try DTLSEndpoint(
        role: .client, certificate: Certificates.client, remoteFingerprintSHA256: clientExpects, mtu: mtu,
        initialRetransmission: initialRetransmission, maximumRetransmissions: maximumRetransmissions,
        srtpProfiles: clientProfiles)
    let server = try DTLSEndpoint(
        role: .server, certificate: Certificates.server, remoteFingerprintSHA256: serverExpects, mtu: mtu,
        initialRetransmission: initialRetransmission, maximumRetransmissions: maximumRetransmissions)
    return (client, server)
}
