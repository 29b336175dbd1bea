import Hummingbird
import HummingbirdWebSocket
import Logging
import ParleySignaling
import ServiceLifecycle

/// Builds the whole Parley server from its configuration: web client, `/ws` signalling and
/// the services that run beside them. `main` runs it; tests run the same on port 0.
///
/// - Parameter onServerRunning: called with the bound port once connections are accepted.
public func buildApplication(
    _ configuration: ParleyConfiguration,
    logger: Logger = Logger(label: "parley"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let relay = SignalingRelay(configuration: configuration)
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
        "ok\n"
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
    return app
}

extension WebClient {
    fileprivate func page(_ name: String) throws -> Response {
        guard let response = response(for: name) else { throw HTTPError(.notFound) }
        return response
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
