import Logging
import MediaServer
import STUN
import ServiceLifecycle
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The media port on a real UDP socket: checks are routed to their session by ufrag and
/// answered from the port, everything else from unknown addresses is dropped unanswered, and
/// ended sessions let go of their addresses.
@Suite struct MediaServerServiceTests {
    static let offer =
        [
            "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
            "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=ice-ufrag:brws",
            "a=ice-pwd:browserpassword24charsxx",
            "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CD:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:A6:BC",
            "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux", "a=rtpmap:96 VP8/90000",
        ].joined(separator: "\r\n") + "\r\n"

    /// A session's check gets a success response with the client's own address; a check naming
    /// no session, and DTLS from an address no check authenticated, get nothing and are counted.
    @Test func checksAreRoutedByUfragAndStrangersAreDropped() async throws {
        try await withMediaServer { service, port in
            let session = try await service.startEchoSession(offer: Self.offer)
            let (ufrag, password) = try #require(Self.iceCredentials(in: session.answer))
            #expect(session.answer.contains("a=candidate:1 1 udp 2130706431 127.0.0.1 \(port) typ host"))
            let socket = try UDPTestSocket()
            defer { socket.close() }

            socket.send(Self.check(ufrag: "nobody", password: password), to: port)
            socket.send([22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], to: port)  // a DTLS record header
            socket.send(Self.check(ufrag: ufrag, password: password), to: port)
            // Datagrams are handled in order: once the good check is answered, the two before it
            // were dropped.
            let response = try STUNMessage(decoding: try #require(socket.receive()))
            #expect(response.type == .success(.binding))
            #expect(try response.attribute(XORMappedAddress.self)?.address == socket.address)
            #expect(await service.statistics().datagramsUnrouted == 2)
            #expect(await service.statistics().activeSessions == 1)

            #expect(await service.endEchoSession(id: session.id))
            #expect(await !service.endEchoSession(id: session.id))
            // The session's address is gone with it: its next check is not routed anywhere.
            socket.send(Self.check(ufrag: ufrag, password: password), to: port)
            socket.send(Self.check(ufrag: ufrag, password: password), to: port)
            #expect(socket.receive() == nil)
            #expect(await service.statistics().datagramsUnrouted == 4)
            #expect(await service.statistics().activeSessions == 0)
        }
    }

    /// Offers beyond the limit are refused with the limit in the error.
    @Test func sessionLimitHolds() async throws {
        try await withMediaServer(maximumSessions: 1) { service, _ in
            _ = try await service.startEchoSession(offer: Self.offer)
            await #expect(throws: EchoRequestError.full(limit: 1)) {
                try await service.startEchoSession(offer: Self.offer)
            }
        }
    }

    static func iceCredentials(in answer: String) -> (ufrag: String, password: String)? {
        var ufrag: String?
        var password: String?
        for line in answer.split(separator: "\r\n") {
            if line.hasPrefix("a=ice-ufrag:") { ufrag = String(line.dropFirst("a=ice-ufrag:".count)) }
            if line.hasPrefix("a=ice-pwd:") { password = String(line.dropFirst("a=ice-pwd:".count)) }
        }
        guard let ufrag, let password else { return nil }
        return (ufrag, password)
    }

    /// A connectivity check as a browser sends it to the server.
    static func check(ufrag: String, password: String) -> [UInt8] {
        var message = STUNMessage(type: .request(.binding), transactionID: .random())
        message.append(Username(text: "\(ufrag):brws"))
        message.append(ICEControlling(tieBreaker: 7))
        message.append(Priority(1_853_824_767))
        return message.encode(
            integrity: .sha1(key: MessageIntegrity.shortTermKey(password: password)), fingerprint: true)
    }
}

/// Runs the media service on 127.0.0.1, port 0, for the duration of `body`.
func withMediaServer(
    maximumSessions: Int = 4, _ body: (MediaServerService, Int) async throws -> Void
) async throws {
    var configuration = MediaServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.maximumEchoSessions = maximumSessions
    let service = try MediaServerService(configuration: configuration)
    let group = ServiceGroup(
        services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body(service, try await service.waitUntilStarted())
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// A blocking UDP socket on 127.0.0.1 whose reads give up after half a second.
final class UDPTestSocket {
    private let descriptor: Int32
    let address: TransportAddress

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &local) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(descriptor)
            throw SocketError()
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.descriptor = descriptor
        address = TransportAddress(ip: .v4(0x7F00_0001), port: UInt16(bigEndian: local.sin_port))
    }

    func send(_ bytes: [UInt8], to port: Int) {
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        remote.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &remote) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                sendto(descriptor, bytes, bytes.count, 0, address, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// The next datagram, or nil when none comes within half a second.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }

    func close() { Glibc.close(descriptor) }

    struct SocketError: Error {}
}
