import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ParleySignaling
import ServiceLifecycle
import UnixSignals

/// Builds the whole Parley server from its configuration: web client, `/ws` signalling,
/// health and metrics endpoints, and the services that run beside them. Tests run it on
/// port 0 inside a `ServiceGroup` of their own; `runParley` adds draining on signals.
///
/// - Parameter onServerRunning: called with the bound port once connections are accepted.
public func buildApplication(
    _ configuration: ParleyConfiguration,
    logger: Logger = Logger(label: "parley"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    buildParts(configuration, logger: logger, onServerRunning: onServerRunning).application
}

/// Runs Parley until SIGTERM or SIGINT. The first signal starts a graceful drain (no new
/// joins, clients told, calls may go on up to `drainTimeout`, or until the last one leaves);
/// a second signal exits at once.
public func runParley(
    _ configuration: ParleyConfiguration,
    logger: Logger = Logger(label: "parley"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws {
    let parts = buildParts(configuration, logger: logger, onServerRunning: onServerRunning)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: parts.application),
                .init(
                    service: DrainOnSignal(relay: parts.relay, timeout: configuration.drainTimeout, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
    try await group.run()
}

private func buildParts(
    _ configuration: ParleyConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void
) -> (application: some ApplicationProtocol, relay: SignalingRelay) {
    let metrics = ParleyMetrics()
    let relay = SignalingRelay(configuration: configuration, metrics: metrics)
    let webClient = WebClient(webRoot: configuration.webRoot)

    let router = Router(context: BasicWebSocketRequestContext.self)
    router.get("/") { _, _ in
        try webClient.page("index.html")
    }
    router.get("/r/:room") { _, context in
        // Invalid names get no page, so a typo shows at once rather than after joining.
        guard let room = context.parameters.get("room"), RoomName(room) != nil else {
            throw HTTPError(.notFound, message: "Room names are 1–64 characters from A-Z a-z 0-9 _ -.")
        }
        return try webClient.page("room.html")
    }
    router.get("/healthz") { _, _ in
        // Alive: the process answers HTTP.
        "ok\n"
    }
    router.get("/readyz") { _, _ in
        // Ready: accepting joins. A load balancer stops sending people here while draining.
        relay.isDraining
            ? Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "draining\n")))
            : Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
    }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }
    router.get("/:file") { _, context in
        try webClient.page(context.parameters.get("file") ?? "")
    }

    let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
    webSocketRouter.ws("/ws") { inbound, outbound, _ in
        try await SignalingConnection(
            relay: relay, joinTimeout: configuration.joinTimeout, maxMessageBytes: configuration.frameHardLimit
        ).run(inbound: inbound, outbound: outbound)
    }

    var app = Application(
        router: router,
        server: .http1WebSocketUpgrade(
            webSocketRouter: webSocketRouter,
            configuration: WebSocketServerConfiguration(
                maxFrameSize: configuration.frameHardLimit,
                autoPing: .enabled(timePeriod: configuration.pingInterval),
                closeTimeout: .seconds(5),
                validateUTF8: true)),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "Parley"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info("Parley listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
            await onServerRunning(port)
        },
        logger: logger)
    app.addServices(SignalingShutdown(relay: relay))
    return (app, relay)
}

extension WebClient {
    fileprivate func page(_ name: String) throws -> Response {
        guard let response = response(for: name) else { throw HTTPError(.notFound) }
        return response
    }
}

/// Waits for SIGTERM or SIGINT, then drains: returns (which shuts the group down gracefully)
/// when the last participant has left or `timeout` has passed. A second signal exits at once.
private struct DrainOnSignal: Service {
    let relay: SignalingRelay
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        var signalIterator = signals.makeAsyncIterator()
        // Without a signal this service just waits for the group's own shutdown.
        let first = await withGracefulShutdownHandler {
            await signalIterator.next()
        } onGracefulShutdown: {
        }
        guard let first, !Task.isCancelled else { return }
        let seconds = Int(timeout.components.seconds)
        logger.notice(
            "Draining: no new joins; exiting when calls end or in \(seconds) s", metadata: ["signal": "\(first)"])
        relay.startDrain(within: seconds)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var drained = relay.drained.makeAsyncIterator()
                await drained.next()
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask {
                var iterator = signals.makeAsyncIterator()
                if await iterator.next() != nil {
                    logger.notice("Second signal: exiting now")
                    exit(1)
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

/// On graceful shutdown, tells every signalling client that the server is going away.
private struct SignalingShutdown: Service {
    let relay: SignalingRelay

    func run() async throws {
        try? await gracefulShutdown()
        relay.shutdown()
    }
}
