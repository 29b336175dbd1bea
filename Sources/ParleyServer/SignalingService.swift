import NIOCore
import NIOHTTP1
import ParleySignaling
import WebSocketServer

/// `/ws`: every signalling WebSocket is opened, fed and closed through the relay. It decides
/// nothing; the hub behind the relay does. (Join deadlines are timed for every connection
/// together, by `JoinDeadlines`.)
struct SignalingService: WebSocketService {
    let relay: SignalingRelay
    let origins: OriginPolicy

    func open(request: HTTPRequestHead, remoteAddress: SocketAddress?, outbox: Outbox) -> WebSocketOpening<
        SignalingSession
    > {
        // Browsers send Origin; a page on another site must not open calls with the visitor's
        // cookies or network position (cross-site WebSocket hijacking). Refused after the
        // upgrade, so the page's developer sees why in the error and the close reason.
        guard origins.allows(origin: request.headers.first(name: "origin"), host: request.headers.first(name: "host"))
        else {
            return .refuse(
                Self.refusal(
                    SignalingError(.originNotAllowed, "pages from this origin may not open calls on this server")))
        }
        guard let connection = relay.open(from: remoteAddress?.ipAddress ?? "unknown", outbox: outbox) else {
            return .refuse(
                Self.refusal(SignalingError(.tooManyConnections, "your address has too many connections open already")))
        }
        return .accept(SignalingSession(relay: relay, connection: connection))
    }

    private static func refusal(_ error: SignalingError) -> Outbox.CloseRequest {
        Outbox.CloseRequest(
            code: CloseCode.policyViolation.rawValue,
            finalText: ByteBuffer(string: ServerMessage.error(error).jsonText()),
            reason: error.code.rawValue)
    }
}

/// One signalling connection, as the relay knows it.
struct SignalingSession: WebSocketSession {
    let relay: SignalingRelay
    let connection: ConnectionID

    func received(_ message: WebSocketMessage) -> (@Sendable () async -> Void)? {
        switch message {
        case .text(let text):
            return relay.textReceived(text, from: connection)
        case .binary:
            relay.binaryReceived(from: connection)
            return nil
        }
    }

    func closed() {
        relay.closed(connection)
    }
}
