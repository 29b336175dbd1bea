import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every Parley route: it remembers the peer's address, which the
/// per-address limits need.
public struct ParleyRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ParleyRequestContext>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, the key of per-address limits. Full addresses are
    /// never logged at info level.
    var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
