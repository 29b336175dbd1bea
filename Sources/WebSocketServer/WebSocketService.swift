import NIOCore
import NIOHTTP1

/// A complete message from a client: its fragments joined, text checked to be UTF-8.
public enum WebSocketMessage: Sendable {
    case text(String)
    case binary(ByteBuffer)
}

/// What a server does with the WebSocket connections of one path.
///
/// Everything here is called on the connection's event loop, one call at a time per connection,
/// so an implementation needs no task of its own per connection: the handler calls in, and the
/// implementation answers through the connection's `Outbox`.
public protocol WebSocketService: Sendable {
    associatedtype Session: WebSocketSession

    /// A client's upgrade to a WebSocket was accepted. Returns the session that gets its
    /// messages, or a refusal: the refusal's final text and close frame are sent at once.
    /// - Parameters:
    ///   - request: the upgrade request's head (path, Origin, Host…).
    ///   - remoteAddress: the client's address.
    ///   - outbox: where everything sent to this client goes.
    func open(request: HTTPRequestHead, remoteAddress: SocketAddress?, outbox: Outbox) -> WebSocketOpening<Session>
}

/// The answer to a connection's opening.
public enum WebSocketOpening<Session: WebSocketSession> {
    case accept(Session)
    case refuse(Outbox.CloseRequest)
}

/// One open connection, as the service sees it.
public protocol WebSocketSession {
    /// A whole message arrived. Returns nil when it has been dealt with, or work that must
    /// finish before the next message is handed over (a password check, say): the connection
    /// reads nothing more meanwhile, so every session sees its messages in order.
    func received(_ message: WebSocketMessage) -> (@Sendable () async -> Void)?

    /// The connection is gone, whoever ended it. Called once, and nothing is received after it.
    func closed()
}

/// How the WebSocket layer frames, keeps alive and bounds a connection.
public struct WebSocketSettings: Sendable {
    /// The only path that upgrades; a request for another path to upgrade is refused (400).
    public var path: String
    /// The largest message (all its fragments together) and so the largest frame, in bytes.
    /// Beyond it the connection is closed with 1009.
    public var maxMessageBytes: Int
    /// A ping goes out this often; a client that has not answered the previous one by then is
    /// closed (1001, "Ping timeout").
    public var pingInterval: Duration
    /// How long a close handshake the server began may wait for the client's close frame.
    public var closeTimeout: Duration
    /// The outbox's bounds: texts waiting to be written, and their bytes together.
    public var outboxMessageLimit: Int
    public var outboxByteLimit: Int

    public init(
        path: String, maxMessageBytes: Int, pingInterval: Duration, closeTimeout: Duration = .seconds(5),
        outboxMessageLimit: Int, outboxByteLimit: Int
    ) {
        self.path = path
        self.maxMessageBytes = maxMessageBytes
        self.pingInterval = pingInterval
        self.closeTimeout = closeTimeout
        self.outboxMessageLimit = outboxMessageLimit
        self.outboxByteLimit = outboxByteLimit
    }
}
