import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// Hummingbird's HTTP/1 server with WebSocket upgrades on one path, where each upgraded
/// connection runs as a `WebSocketConnectionHandler` in the channel pipeline and reports to a
/// `WebSocketService`. Other requests go to Hummingbird's responder as usual.
///
/// Hummingbird's own WebSocket support hands every connection to an async task; this one keeps
/// an idle connection down to its channel and a handler (bench/RESULTS.md, memory per connection).
public struct HTTPWebSocketChannel<Service: WebSocketService>: ServerChildChannel, HTTPChannelHandler {
    public enum UpgradeResult: Sendable {
        /// Upgraded: the pipeline runs the connection from now on.
        case webSocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade was asked for and refused (wrong path, bad headers): answered with 400.
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    public struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    private let http1: HTTP1Channel.Configuration
    private let settings: WebSocketSettings
    private let service: Service

    /// - Parameters:
    ///   - responder: Hummingbird's responder for every request that is not an upgrade.
    ///   - http1: the HTTP/1 side's handlers, idle timeout and header limits.
    public init(
        responder: @escaping HTTPChannelHandler.Responder, http1: HTTP1Channel.Configuration,
        settings: WebSocketSettings, service: Service
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.http1 = http1
        self.settings = settings
        self.service = service
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: settings.maxMessageBytes,
                shouldUpgrade: { [path = settings.path] channel, head in
                    upgradeAttempted.value = true
                    let pathMatches = head.uri == path || head.uri.hasPrefix(path + "?")
                    return channel.eventLoop.makeSucceededFuture(pathMatches ? HTTPHeaders() : nil)
                },
                upgradePipelineHandler: { [settings, service] channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = WebSocketConnectionHandler<Service>(settings: settings)
                        let outbox = handler.makeOutbox(on: channel.eventLoop)
                        switch service.open(request: head, remoteAddress: channel.remoteAddress, outbox: outbox) {
                        case .accept(let session): handler.accept(session)
                        case .refuse(let request): outbox.close(request)
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return UpgradeResult.webSocket
                    }
                })
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { [http1] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger)
                        )
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        return upgradeAttempted.value ? .failedUpgrade(asyncChannel) : .notUpgraded(asyncChannel)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(
                upgradeConfiguration: serverUpgrade)
            // As Hummingbird's own HTTP/1 channel: it pipelines and handles errors itself, and
            // swift-http-types has validated the response headers.
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: configuration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .webSocket:
                // Nothing to wait for: the pipeline runs the connection.
                return
            case .notUpgraded(let http1):
                await handleHTTP(asyncChannel: http1, logger: logger)
            case .failedUpgrade(let http1):
                try await http1.executeThenClose { _, outbound in
                    let response = HTTPResponse(
                        status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
                    try await outbound.write(contentsOf: [.head(response), .end(nil)])
                }
            }
        } catch {
            logger.debug("Connection ended before it was served", metadata: ["error": "\(error)"])
        }
    }

    /// NIO upgrades only a connection's first request. A later request on the same connection
    /// that asks for a WebSocket is sent to the same address on a new connection.
    private static func redirectingLateUpgrades(
        _ responder: @escaping HTTPChannelHandler.Responder
    ) -> HTTPChannelHandler.Responder {
        return { request, responseWriter, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, responseWriter, channel)
            }
            let location = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            try await responseWriter.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            throw LateUpgradeRedirected()
        }
    }
}

/// Ends the connection after a late upgrade request was redirected (Hummingbird closes a
/// connection whose responder throws).
private struct LateUpgradeRedirected: Error {}
