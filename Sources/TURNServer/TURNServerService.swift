import DatagramSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import STUN
import ServiceLifecycle
import TURN
import TransportAddressNIO

/// Parley's STUN/TURN server (RFC 8489, RFC 8656) as a `Service`: a UDP listener and a TCP
/// listener on the same port, one UDP socket per relay port, all feeding the pure
/// ``AllocationTable``. STUN Binding is answered for everyone; TURN needs TURN REST
/// credentials minted with ``TURNCredentials/mint(secret:peerID:now:ttl:)``.
///
/// The UDP sockets are served by two threads of the service's own (``TURNRelayCore``); TCP by SwiftNIO.
/// `run()` returns after graceful shutdown (or cancellation), having closed every socket.
public final class TURNServerService: Service, Sendable {
    public let configuration: TURNServerConfiguration
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let started: EventLoopPromise<TURNServerAddresses>
    /// Set while running.
    private let runningCore = NIOLockedValueBox<TURNRelayCore?>(nil)

    public init(
        configuration: TURNServerConfiguration, logger: Logger = Logger(label: "parley.turn"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoop = eventLoopGroup.next()
        self.started = eventLoop.makePromise()
    }

    /// Waits until the listeners are bound and returns their ports (tests use port 0).
    public func waitUntilStarted() async throws -> TURNServerAddresses {
        try await started.futureResult.get()
    }

    /// Counters since start (allocations, packets and bytes relayed), for metrics.
    public func statistics() async -> TURNStatistics {
        runningCore.withLockedValue { $0 }?.statistics ?? TURNStatistics()
    }

    public func run() async throws {
        let core: TURNRelayCore
        let listener: DatagramSocket
        let server: (any Channel)?
        let addresses: TURNServerAddresses
        do {
            (core, listener, server, addresses) = try await start()
            runningCore.withLockedValue { $0 = core }
        } catch {
            started.fail(error)
            throw error
        }
        let threads = NIOThreadPool(numberOfThreads: 2)
        threads.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await threads.runIfActive { core.runListenerLoop() } }
            group.addTask { try await threads.runIfActive { core.runRelayLoop() } }
            started.succeed(addresses)
            // Returns on graceful shutdown; throws on cancellation. Either way, stop.
            try? await gracefulShutdown()
            core.stop()
            try await group.waitForAll()
        }
        try? await server?.close()
        listener.close()
        try? await threads.shutdownGracefully()
        runningCore.withLockedValue { $0 = nil }
        logger.info("TURN server stopped")
    }

    private func start() async throws -> (TURNRelayCore, DatagramSocket, (any Channel)?, TURNServerAddresses) {
        let configuration = configuration
        let relayHost = configuration.relayHost ?? configuration.host
        guard let relayAddress = try Self.advertisedRelayAddress(configuration: configuration, relayHost: relayHost)
        else {
            throw TURNServerError.noRelayAddress(relayHost)
        }
        guard let host = IPAddress(configuration.host) else { throw TURNServerError.badAddress(configuration.host) }
        guard let relayBindAddress = IPAddress(relayHost) else { throw TURNServerError.badAddress(relayHost) }
        guard let port = UInt16(exactly: configuration.port) else { throw TURNServerError.badPort(configuration.port) }
        var turn = TURNConfiguration(
            realm: configuration.realm, secret: configuration.secret, relayAddress: relayAddress,
            relayPorts: configuration.relayPorts, policy: configuration.policy)
        turn.maximumAllocationsPerUsername = configuration.maximumAllocationsPerUsername
        turn.maximumAllocations = configuration.maximumAllocations
        turn.maximumPermissionsPerAllocation = configuration.maximumPermissionsPerAllocation
        turn.bytesPerSecondPerAllocation = configuration.bytesPerSecondPerAllocation

        // With port 0 the UDP bind picks a free UDP port, which a busy machine may have in use for
        // TCP: then both are tried again on another port, rather than the whole server failing.
        var attempt = 1
        while true {
            let listener = try DatagramSocket(host: host, port: port, reuseAddress: true)
            let udpPort = listener.localAddress.port
            var policy = configuration.policy
            policy.serverPorts.insert(udpPort)
            for text in [configuration.host, relayHost, configuration.publicIP].compactMap({ $0 }) {
                if let ip = IPAddress(text) { policy.serverAddresses.insert(ip) }
            }
            let core = try TURNRelayCore(
                table: AllocationTable(configuration: turn), listener: listener, relayHost: relayBindAddress,
                policy: policy, datagramsPerRead: configuration.datagramsPerRead, logger: logger)
            let server: (any Channel)?
            do {
                server = configuration.tcp ? try await bindTCP(port: Int(udpPort), core: core) : nil
            } catch {
                listener.close()
                guard configuration.port == 0, attempt < Self.maximumBindAttempts else { throw error }
                logger.debug("TCP port taken, trying another", metadata: ["port": "\(udpPort)", "error": "\(error)"])
                attempt += 1
                continue
            }
            logger.info(
                "TURN server listening",
                metadata: [
                    "host": "\(configuration.host)", "port": "\(udpPort)", "relay": "\(relayAddress)",
                    "relayPorts": "\(configuration.relayPorts.lowerBound)-\(configuration.relayPorts.upperBound)",
                ])
            let addresses = TURNServerAddresses(
                udpPort: Int(udpPort), tcpPort: server?.localAddress?.port, relayAddress: relayAddress)
            return (core, listener, server, addresses)
        }
    }

    /// Tries for a free port when the configured one is 0; beyond this, the error stands.
    static let maximumBindAttempts = 8

    /// The TCP listener (RFC 8656 section 3.1), on the UDP listener's port.
    private func bindTCP(port: Int, core: TURNRelayCore) async throws -> any Channel {
        try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STUNFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(core: core))
                }
            }
            .bind(host: configuration.host, port: port).get()
    }

    /// `--public-ip` if set; else the relay bind address; else, for a wildcard bind, the first
    /// non-loopback IPv4 interface address.
    static func advertisedRelayAddress(configuration: TURNServerConfiguration, relayHost: String) throws -> IPAddress? {
        if let publicIP = configuration.publicIP {
            guard let ip = IPAddress(publicIP) else { throw TURNServerError.badAddress(publicIP) }
            return ip
        }
        guard let bound = IPAddress(relayHost) else { throw TURNServerError.badAddress(relayHost) }
        guard bound == .v4(0) || bound == .v6(high: 0, low: 0) else { return bound }
        let devices = (try? System.enumerateDevices()) ?? []
        for device in devices {
            guard let address = device.address.flatMap(TransportAddress.init),
                address.ip.isIPv4 == bound.isIPv4, PeerAddressPolicy(allowPrivate: true).denial(for: address.ip) == nil
            else { continue }
            return address.ip
        }
        return nil
    }
}

/// Why the TURN service could not start.
public enum TURNServerError: Error, CustomStringConvertible {
    case badAddress(String)
    case badPort(Int)
    case noRelayAddress(String)

    public var description: String {
        switch self {
        case .badAddress(let text): "not an IP address: \(text)"
        case .badPort(let port): "not a UDP port (0-65535): \(port)"
        case .noRelayAddress(let host):
            "cannot tell which address to advertise for relays bound to \(host); set --public-ip"
        }
    }
}
