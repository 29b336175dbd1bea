import Logging
import NIOCore
import NIOPosix
import STUN
import ServiceLifecycle
import TURN
import TURNServer
import Testing

let testSecret = "integration-secret"

/// Runs the real service on 127.0.0.1, port 0, with loopback peers allowed, then shuts it
/// down gracefully.
func withTURNServer(
    _ adjust: (inout TURNServerConfiguration) -> Void = { _ in },
    _ body: (TURNServerAddresses) async throws -> Void
) async throws {
    var configuration = TURNServerConfiguration(
        host: "127.0.0.1", port: 0, relayPorts: 41000...41999, secret: testSecret,
        policy: PeerAddressPolicy(allowed: [IPNetwork("127.0.0.0/8")!]))
    adjust(&configuration)
    let service = TURNServerService(configuration: configuration)
    let group = ServiceGroup(
        services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let addresses = try await service.waitUntilStarted()
            try await body(addresses)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// A real UDP socket on loopback; received datagrams are queued for `receive()`.
final class TestSocket: Sendable {
    let channel: any Channel
    private let received: AsyncStream<AddressedEnvelope<ByteBuffer>>
    // The iterator is a handle on the stream's shared storage; only one `receive()` runs at a time.
    nonisolated(unsafe) private let iterator: AsyncStream<AddressedEnvelope<ByteBuffer>>.AsyncIterator

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation
        init(_ continuation: AsyncStream<AddressedEnvelope<ByteBuffer>>.Continuation) {
            self.continuation = continuation
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
    }

    init() async throws {
        let (stream, continuation) = AsyncStream<AddressedEnvelope<ByteBuffer>>.makeStream()
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        received = stream
        iterator = stream.makeAsyncIterator()
    }

    var address: TransportAddress { TransportAddress("127.0.0.1:\(channel.localAddress!.port!)")! }

    func send(_ bytes: [UInt8], to port: Int) async throws {
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: bytes)))
    }

    /// The next datagram, or a failure after five seconds.
    func receive() async throws -> (bytes: [UInt8], from: Int) {
        try await withThrowingTaskGroup(of: (bytes: [UInt8], from: Int)?.self) { group in
            nonisolated(unsafe) var local = iterator
            group.addTask {
                let next = await local.next()
                return next.map { (Array($0.data.readableBytesView), $0.remoteAddress.port!) }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let first else { throw TimedOut() }
            return first
        }
    }

    func close() async { try? await channel.close() }

    struct TimedOut: Error {}
}

/// A TURN client speaking through a ``TestSocket``.
struct TURNTestClient {
    let socket: TestSocket
    let serverPort: Int
    var credentials = TURNCredentials.mint(
        secret: testSecret, peerID: "p1", now: UnixTime(seconds: Double(Int64(WallClock.secondsNow))), ttl: 600)
    var nonce: String?

    func request(_ method: STUNMethod, _ build: (inout STUNMessage) -> Void = { _ in }) async throws -> STUNMessage {
        var message = STUNMessage(type: .request(method), transactionID: .random())
        build(&message)
        let bytes: [UInt8]
        if let nonce {
            message.append(Username(text: credentials.username))
            message.append(Realm(text: "parley"))
            message.append(Nonce(text: nonce))
            let key = MessageIntegrity.longTermKey(
                username: credentials.username, realm: "parley", password: credentials.password)
            bytes = message.encode(integrity: .sha1(key: key))
        } else {
            bytes = message.encode()
        }
        try await socket.send(bytes, to: serverPort)
        let reply = try await STUNMessage(decoding: socket.receive().bytes)
        #expect(reply.transactionID == message.transactionID)
        return reply
    }

    func send(_ data: [UInt8], to peer: TransportAddress) async throws {
        var message = STUNMessage(type: .indication(.send), transactionID: .random())
        message.append(XORPeerAddress(peer))
        message.append(DataAttribute(data))
        try await socket.send(message.encode(), to: serverPort)
    }
}

enum WallClock {
    static var secondsNow: Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
