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
/// `run()` returns after graceful shutdown (or cancellation), having closed every socket.
public final class TURNServerService: Service, Sendable {
    public let configuration: TURNServerConfiguration
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let started: EventLoopPromise<TURNServerAddresses>
    /// Set once running; read on the event loop it belongs to.
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
        guard let core = runningCore.withLockedValue({ $0 }) else { return TURNStatistics() }
        return (try? await eventLoop.submit { core.statistics }.get()) ?? TURNStatistics()
    }

    public func run() async throws {
        let core: TURNRelayCore
        let server: (any Channel)?
        do {
            (core, server) = try await start()
            runningCore.withLockedValue { $0 = core }
        } catch {
            started.fail(error)
            throw error
        }
        // Returns on graceful shutdown; throws on cancellation. Either way, stop.
        try? await gracefulShutdown()
        try await eventLoop.submit {
            server?.close(promise: nil)
            core.shutdown()
        }.get()
        logger.info("TURN server stopped")
    }

    private func start() async throws -> (TURNRelayCore, (any Channel)?) {
        let configuration = configuration
        let relayHost = configuration.relayHost ?? configuration.host
        guard let relayAddress = try Self.advertisedRelayAddress(configuration: configuration, relayHost: relayHost)
        else {
            throw TURNServerError.noRelayAddress(relayHost)
        }
        var turn = TURNConfiguration(
            realm: configuration.realm, secret: configuration.secret, relayAddress: relayAddress,
            relayPorts: configuration.relayPorts, policy: configuration.policy)
        turn.maximumAllocationsPerUsername = configuration.maximumAllocationsPerUsername
        turn.maximumAllocations = configuration.maximumAllocations
        turn.maximumPermissionsPerAllocation = configuration.maximumPermissionsPerAllocation
        turn.bytesPerSecondPerAllocation = configuration.bytesPerSecondPerAllocation
        let core = TURNRelayCore(
            eventLoop: eventLoop, table: AllocationTable(configuration: turn), relayHost: relayHost,
            datagramsPerRead: configuration.datagramsPerRead, logger: logger)

        let (listener, server) = try await bindListeners(core: core)
        let udpPort = listener.localAddress?.port ?? configuration.port

        var policy = configuration.policy
        policy.serverPorts.insert(UInt16(udpPort))
        for text in [configuration.host, relayHost, configuration.publicIP].compactMap({ $0 }) {
            if let ip = IPAddress(text) { policy.serverAddresses.insert(ip) }
        }
        try await eventLoop.submit { [policy] in core.attachListener(listener, policy: policy) }.get()
        let addresses = TURNServerAddresses(
            udpPort: udpPort, tcpPort: server?.localAddress?.port, relayAddress: relayAddress)
        logger.info(
            "TURN server listening",
            metadata: [
                "host": "\(configuration.host)", "port": "\(udpPort)", "relay": "\(relayAddress)",
                "relayPorts": "\(configuration.relayPorts.lowerBound)-\(configuration.relayPorts.upperBound)",
            ])
        started.succeed(addresses)
        return (core, server)
    }

    /// Tries for a free port when the configured one is 0; beyond this, the error stands.
    static let maximumBindAttempts = 8

    /// Binds the UDP listener and, on the same port, the TCP one. With port 0 the UDP bind picks
    /// a free UDP port, which a busy machine may have in use for TCP: then both are tried again
    /// on another port, rather than the whole server failing to start.
    private func bindListeners(core: TURNRelayCore) async throws -> (any Channel, (any Channel)?) {
        var attempt = 1
        while true {
            let listener = try await DatagramBootstrap(group: eventLoop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: configuration.datagramsPerRead)
                .channelOption(.maxMessagesPerRead, value: 1)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(capacity: 2048 * configuration.datagramsPerRead)
                )
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ClientDatagramHandler(core: core))
                    }
                }
                .bind(host: configuration.host, port: configuration.port).get()
            guard configuration.tcp else { return (listener, nil) }
            let udpPort = listener.localAddress?.port ?? configuration.port
            do {
                let server = try await ServerBootstrap(group: eventLoop)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STUNFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(core: core))
                        }
                    }
                    .bind(host: configuration.host, port: udpPort).get()
                return (listener, server)
            } catch {
                try? await listener.close()
                guard configuration.port == 0, attempt < Self.maximumBindAttempts else { throw error }
                logger.debug("TCP port taken, trying another", metadata: ["port": "\(udpPort)", "error": "\(error)"])
                attempt += 1
            }
        }
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
    case noRelayAddress(String)

    public var description: String {
        switch self {
        case .badAddress(let text): "not an IP address: \(text)"
        case .noRelayAddress(let host):
            "cannot tell which address to advertise for relays bound to \(host); set --public-ip"
        }
    }
}
