import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ParleySignaling
import ServiceLifecycle
import TURN
import TURNServer
import UnixSignals
import WebSocketServer

/// Builds the whole Parley server from its configuration: web client, `/ws` signalling,
/// health, metrics and admin endpoints, and the services that run beside them. Tests run it
/// on port 0 inside a `ServiceGroup` of their own; `runParley` adds draining on signals.
///
/// - Parameter onServerRunning: called with the bound port once connections are accepted.
public func buildApplication(
    _ configuration: ParleyConfiguration,
    logger: Logger = Logger(label: "parley"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
    onMediaRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await buildParts(
        configuration, logger: logger, onServerRunning: onServerRunning, onMediaRunning: onMediaRunning
    ).application
}

/// Runs Parley until SIGTERM or SIGINT. The first signal starts a graceful drain (no new
/// joins, clients told, calls may go on up to `drainTimeout`, or until the last one leaves);
/// a second signal exits at once. SIGHUP reads the TLS certificate files again.
public func runParley(
    _ configuration: ParleyConfiguration,
    logger: Logger = Logger(label: "parley"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in },
    onMediaRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws {
    let parts = try await buildParts(
        configuration, logger: logger, onServerRunning: onServerRunning, onMediaRunning: onMediaRunning)
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [
                .init(service: parts.application),
                .init(
                    service: DrainOnSignal(relay: parts.relay, timeout: configuration.drainTimeout, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: ReloadCertificateOnHangup(certificate: parts.certificate, logger: logger)),
            ],
            logger: logger))
    try await group.run()
}

/// Parley's own HTTPS certificate, when configured (`ParleyConfiguration.tls`). Its fingerprint
/// is logged, so that people can compare it with what their browser shows for a self-signed one.
func makeServingCertificate(_ configuration: ParleyConfiguration, logger: Logger) throws -> ServingCertificate? {
    // A self-signed certificate is kept in the database's folder; an in-memory database keeps
    // nothing, so neither is the certificate.
    let folder = configuration.databasePath.map { path in
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
    guard let mode = configuration.tls.mode(keepingSelfSignedIn: folder) else { return nil }
    let identity = try TLSIdentity.make(mode, host: configuration.host)
    var files: (certificate: String, privateKey: String)?
    if case .files(let certificate, let privateKey) = mode { files = (certificate, privateKey) }
    logger.info("HTTPS", metadata: ["certificate-sha256": "\(identity.fingerprint)"])
    if case .selfSigned = mode, identity.isNewlyGenerated {
        logger.notice("A new self-signed certificate: browsers ask once to accept it")
    }
    if let warning = identity.expiryWarning() {
        logger.warning("\(warning)")
    }
    return ServingCertificate(identity, files: files)
}

/// Opens the configured store (an in-memory SQLite database when no path is set).
func openStore(_ configuration: ParleyConfiguration, logger: Logger) async throws -> SQLiteRoomStore {
    try await SQLiteRoomStore.open(path: configuration.databasePath ?? ":memory:", logger: logger)
}

/// The join-token secret: configured, or generated once and kept in the store.
func joinTokenSecret(_ configuration: ParleyConfiguration, store: some RoomStore) async throws -> String {
    if let secret = configuration.tokenSecret { return secret }
    return try await store.secret(named: "join-token") {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}

private func buildParts(
    _ configuration: ParleyConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void,
    onMediaRunning: @escaping @Sendable (_ port: Int) async -> Void
) async throws -> (application: some ApplicationProtocol, relay: SignalingRelay, certificate: ServingCertificate?) {
    // Before anything is opened: a certificate that cannot be used stops the start at once.
    let tls = try makeServingCertificate(configuration, logger: logger)
    let store = try await openStore(configuration, logger: logger)
    let knownRooms: [RoomName: RoomSettings]
    var chatHistory: [RoomName: [ChatMessage]] = [:]
    let tokens: JoinTokenAuthority
    do {
        knownRooms = try await store.loadRooms()
        let signaling = configuration.signaling
        if signaling.chatRetention > .zero {
            chatHistory = try await store.loadChat(
                since: SignalingRelay.wallClockMilliseconds - signaling.chatRetentionMilliseconds,
                limit: signaling.chatHistoryLimit)
        }
        tokens = await JoinTokenAuthority(secret: try await joinTokenSecret(configuration, store: store))
    } catch {
        try? await store.close()
        throw error
    }
    let metrics = ParleyMetrics()
    let (turnCredentials, turnServices) = try await setUpTURN(
        configuration, store: store, metrics: metrics, logger: logger)
    let relay = SignalingRelay(
        configuration: configuration, knownRooms: knownRooms, chatHistory: chatHistory, tokens: tokens,
        turnCredentials: turnCredentials, metrics: metrics)
    let webClient = WebClient(webRoot: configuration.webRoot)
    let media = try makeMediaService(configuration)

    let router = Router(context: ParleyRequestContext.self)
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
    router.get("/test") { _, _ in
        // The connectivity self-test: camera, WebSocket, ICE candidates, a loopback call.
        try webClient.page("test.html")
    }
    router.get("/ws") { _, _ -> Response in
        // Upgrades never reach here; a plain GET does.
        throw HTTPError(.badRequest, message: "This is Parley's WebSocket endpoint (docs/PROTOCOL.md).")
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
        relay.recordGauges()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }
    if let media { EchoEndpoint(media: media).register(on: router, webClient: webClient) }
    AdminAPI(relay: relay, adminToken: configuration.adminToken, passwordHashCost: configuration.passwordHashCost)
        .register(on: router)
    router.get("/:file") { _, context in
        try webClient.page(context.parameters.get("file") ?? "")
    }

    let idleTimeout = TimeAmount(configuration.httpIdleTimeout)
    let signaling = SignalingService(relay: relay, origins: OriginPolicy(allowed: configuration.allowedOrigins))
    let webSocketSettings = WebSocketSettings(
        path: "/ws", maxMessageBytes: configuration.frameHardLimit, pingInterval: configuration.pingInterval,
        outboxMessageLimit: configuration.outboxMessageLimit, outboxByteLimit: configuration.outboxByteLimit)
    let http = HTTPServerBuilder { responder in
        HeadDeadlineChildChannel(
            base: HTTPWebSocketChannel(
                responder: responder,
                http1: .init(
                    additionalChannelHandlers: [RequestHeaderTimeout(timeout: idleTimeout)],
                    idleTimeout: idleTimeout),
                settings: webSocketSettings, service: signaling),
            timeout: idleTimeout)
    }
    var app = Application(
        router: router,
        server: try tls.map { try .tls(http, tlsConfiguration: $0.tlsConfiguration) } ?? http,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "Parley"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info(
                "Parley listening",
                metadata: ["host": "\(configuration.host)", "port": "\(port)", "https": "\(tls != nil)"])
            await onServerRunning(port)
        },
        logger: logger)
    // A service group shuts its services down one by one in reverse order: the server first,
    // then the relay (which ends the persistence stream), then the persistence writer, then
    // the resume-window timers, and last the join deadlines.
    app.addServices(
        JoinDeadlines(relay: relay),
        AwayExpiry(relay: relay),
        RoomPersistence(
            relay: relay, store: store, chatRetention: configuration.signaling.chatRetentionMilliseconds,
            logger: logger),
        SignalingShutdown(relay: relay))
    app.addServices(turnServices)
    if let media {
        app.addServices(media, MediaPublisher(service: media, metrics: metrics, onMediaRunning: onMediaRunning))
    }
    return (app, relay, tls)
}

/// The TURN credentials issuer and, for the built-in server, the services to run.
private func setUpTURN(
    _ configuration: ParleyConfiguration, store: some RoomStore, metrics: ParleyMetrics, logger: Logger
) async throws -> (TURNCredentialIssuer?, [any Service]) {
    let settings = configuration.turn
    if case .off = settings.mode { return (nil, []) }
    let secret: String
    if let configured = settings.secret {
        secret = configured
    } else {
        secret = try await store.secret(named: "turn") {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        }
    }
    let issuer = TURNCredentialIssuer(secret: secret, lifetime: settings.credentialLifetime)
    guard case .builtIn = settings.mode else {
        if case .external(let urls) = settings.mode {
            issuer.publish(
                stun: urls.filter { $0.hasPrefix("stun") }, turn: urls.filter { $0.hasPrefix("turn") })
        }
        return (issuer, [])
    }
    let host = settings.host ?? configuration.host
    var policy = PeerAddressPolicy(allowPrivate: settings.allowPrivatePeers, allowed: settings.allowedPeers)
    if configuration.port != 0 {
        policy.serverPorts.insert(UInt16(configuration.port))
    }
    let service = TURNServerService(
        configuration: TURNServerConfiguration(
            host: host, port: settings.port, relayPorts: settings.relayPorts, publicIP: settings.publicIP,
            secret: secret, policy: policy),
        logger: Logger(label: "parley.turn"))
    let isWildcard = host == "0.0.0.0" || host == "::"
    let publisher = TURNPublisher(
        service: service, issuer: issuer, advertisedHost: settings.publicIP ?? (isWildcard ? nil : host),
        metrics: metrics, logger: logger)
    return (issuer, [service, publisher])
}

/// Which pages may open `/ws`: the server's own origin, and any configured ones.
struct OriginPolicy: Sendable {
    let allowed: Set<String>

    init(allowed: [String]) {
        self.allowed = Set(allowed.map { $0.lowercased() })
    }

    func allows(origin: String?, host: String?) -> Bool {
        // No Origin: not a browser, which could send any Origin it liked anyway.
        guard let origin = origin?.lowercased() else { return true }
        if allowed.contains(origin) { return true }
        guard let host = host?.lowercased(), let separator = origin.range(of: "://") else { return false }
        return origin[separator.upperBound...] == host
    }
}

/// Writes room settings and chat to the store in the order the hub decided them, deletes chat
/// older than the retention period (at start, then every few minutes); closes the store at
/// the end.
private struct RoomPersistence: Service {
    let relay: SignalingRelay
    let store: SQLiteRoomStore
    /// In milliseconds. Zero: chat is never stored, so whatever an earlier run stored is
    /// deleted at start.
    let chatRetention: Int64
    let logger: Logger
    var pruneInterval: Duration = .seconds(300)

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                await pruneChat()
                // With retention off, the sweep at start is all there is to do.
                guard chatRetention > 0 else { return }
                while !Task.isCancelled {
                    try? await Task.sleep(for: pruneInterval)
                    guard !Task.isCancelled else { return }
                    await pruneChat()
                }
            }
            // Ends when the relay shuts down and finishes the stream, after writing what was
            // already decided, so a lock set just before SIGTERM is not lost.
            for await write in relay.storeWrites {
                do {
                    switch write {
                    case .room(let name, let settings): try await store.saveRoom(name, settings)
                    case .chat(let room, let message): try await store.saveChat(room, message)
                    }
                } catch {
                    // Never the chat text: logs are not where people's messages belong.
                    switch write {
                    case .room(let name, _), .chat(let name, _):
                        logger.error(
                            "Could not save to the database", metadata: ["room": "\(name)", "error": "\(error)"])
                    }
                }
            }
            group.cancelAll()
            await group.waitForAll()
        }
        try? await store.close()
        // The relay finishes its writes when `SignalingShutdown` is told to shut down, which may
        // come before this service is; ending first would count as a failure (as in AwayTimers).
        try? await gracefulShutdown()
    }

    private func pruneChat() async {
        let now = SignalingRelay.wallClockMilliseconds
        let cutoff = chatRetention > 0 ? now - chatRetention : Int64.max
        do {
            try await store.deleteChat(before: cutoff)
        } catch {
            logger.error("Could not delete old chat", metadata: ["error": "\(error)"])
        }
        relay.chatRetentionPassed(now: now)
    }
}

extension WebClient {
    func page(_ name: String) throws -> Response {
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
        // UnixSignalsSequence allows one iterator: one task reads every signal and reports the
        // first; a second one ends the process on the spot.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let (firstSignal, firstSignalSink) = AsyncStream.makeStream(of: UnixSignal.self)
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                for await signal in signals {
                    received += 1
                    if received == 1 {
                        firstSignalSink.yield(signal)
                    } else {
                        logger.notice("Second signal: exiting now")
                        exit(1)
                    }
                }
            }
            // Without a signal this service just waits for the group's own shutdown.
            let first = await withGracefulShutdownHandler {
                var iterator = firstSignal.makeAsyncIterator()
                return await iterator.next()
            } onGracefulShutdown: {
                firstSignalSink.finish()
            }
            if let first {
                await drain(after: first)
            }
            group.cancelAll()
        }
    }

    private func drain(after signal: UnixSignal) async {
        let seconds = Int(timeout.components.seconds)
        logger.notice(
            "Draining: no new joins; exiting when the last call ends or in \(seconds) s",
            metadata: ["signal": "\(signal)"])
        relay.startDrain(within: seconds)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var drained = relay.drained.makeAsyncIterator()
                await drained.next()
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Times the resume window of every participant whose connection dropped, and reports its
/// end to the hub (which has no clock). Pending windows are dropped when the relay shuts down.
private struct AwayExpiry: Service {
    let relay: SignalingRelay

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await (connection, window) in relay.awayTimers {
                group.addTask {
                    try? await Task.sleep(for: window)
                    guard !Task.isCancelled else { return }
                    relay.resumeWindowPassed(for: connection)
                }
            }
            group.cancelAll()
        }
        // The relay has shut down; ending before the group asks would count as a failure
        // while it is still waiting for the services after this one.
        try? await gracefulShutdown()
    }
}

/// Closes every connection that has not joined within the join timeout, all from this one
/// task, which sleeps until the next deadline is due (`SignalingRelay.passJoinDeadlines`).
private struct JoinDeadlines: Service {
    let relay: SignalingRelay

    /// The shortest sleep between two passes. Connections opened moments apart have deadlines
    /// moments apart: waking for each one cost 10,000 wakeups for 10,000 connections (about
    /// 5 % of a core while they came due). A connection may overstay its join timeout by this
    /// much, never leave before it.
    static let coalescing: Duration = .milliseconds(250)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let untilNext = max(relay.passJoinDeadlines(), Self.coalescing)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: untilNext) }
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
