import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every Parley route: it remembers the peer's address, which the
/// per-address limits need, and the channel's event loop.
public struct ParleyRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ParleyRequestContext>
    public let remoteAddress: SocketAddress?
    /// The event loop of the connection's channel, where its WebSocket tasks run.
    let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
        self.eventLoop = source.channel.eventLoop
    }

    /// The client's IP address as text, the key of per-address limits. Full addresses are
    /// never logged at info level.
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
