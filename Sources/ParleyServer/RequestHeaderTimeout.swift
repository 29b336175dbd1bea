import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request headers do not arrive complete within `timeout`.
///
/// Hummingbird's idle timeout only closes connections with no request under way, so a client
/// trickling a header byte every few seconds (slowloris) would hold a connection forever.
/// The clock starts when the connection opens and again after each request; a complete
/// request head stops it. Removed with the other HTTP handlers when a WebSocket upgrade happens.
final class RequestHeaderTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            arm(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            deadline = nil
        case .end:
            arm(context: context)
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    private func arm(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}

/// Closes a new connection whose first request head (everything up to the blank line) does
/// not arrive within `timeout`, then steps aside.
///
/// It sits first in the pipeline, before any HTTP parsing, because with WebSocket upgrades
/// enabled Hummingbird adds its own timeout handlers only after the first request head has
/// been read: exactly the phase a slowloris client stretches out.
final class FirstRequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The last bytes seen, so a blank line split across reads is still found.
    private var tail: [UInt8] = []

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        tail += buffer.readableBytesView
        context.fireChannelRead(data)
        if tail.indices.contains(where: { tail[$0...].starts(with: Self.headEnd) }) {
            deadline?.cancel()
            deadline = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else {
            tail = Array(tail.suffix(Self.headEnd.count - 1))
        }
    }
}

/// Hummingbird's HTTP/1 + WebSocket child channel with `FirstRequestHeadDeadline` in front,
/// and a receive buffer that starts small.
struct HeadDeadlineChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(FirstRequestHeadDeadline(timeout: timeout), position: .first)
            // Each channel keeps its receive buffer while it lives, and a signalling connection
            // mostly sits idle between messages of a few hundred bytes: NIO's default of 2 KiB
            // to start with cost 1.5 KiB per connection for nothing. The buffer still grows
            // for an offer's SDP, and shrinks again.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
