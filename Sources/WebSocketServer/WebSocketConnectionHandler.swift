import NIOCore
import NIOWebSocket

/// Runs one upgraded WebSocket inside the channel pipeline: joins fragments into messages,
/// checks text is UTF-8, answers pings and sends its own, carries out close handshakes, and
/// writes the connection's `Outbox` out as the socket takes it.
///
/// Everything happens on the channel's event loop, with no task per connection: an idle
/// connection costs its channel and this handler's few fields, and a message costs no hop to
/// another thread. (Hummingbird's stream-based WebSocket API, with its tasks per connection, took
/// about 37 KiB per idle signalling connection against about 6 KiB this way; bench/RESULTS.md.)
final class WebSocketConnectionHandler<Service: WebSocketService>: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Phase {
        case open
        /// The server sent its close frame and waits for the client's.
        case closeSent
        /// Nothing more is read or written.
        case closed
    }

    private let settings: WebSocketSettings
    /// Set on the event loop just after the handler is created, before any frame arrives.
    private var session: Service.Session?
    private var outbox: Outbox?
    private var context: ChannelHandlerContext?
    private var phase = Phase.open
    /// The message being put together from fragments: its opcode and the bytes so far.
    private var fragments: (opcode: WebSocketOpcode, data: ByteBuffer)?
    /// Messages read while the session finishes slow work on an earlier one.
    private var waiting: [WebSocketMessage] = []
    private var sessionBusy = false
    /// A read the channel asked for while the session was busy, passed on once it is not.
    private var readHeld = false
    private var pingTimer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var awaitingPong = false
    private var finished = false

    init(settings: WebSocketSettings) {
        self.settings = settings
    }

    /// Creates the outbox, whose wake-ups hop to `eventLoop` and into this handler.
    func makeOutbox(on eventLoop: any EventLoop) -> Outbox {
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        let outbox = Outbox(
            messageLimit: settings.outboxMessageLimit, byteLimit: settings.outboxByteLimit,
            wake: {
                // From the loop itself too: the write then happens once the current read is
                // handled, together with everything else queued by then.
                eventLoop.execute { handler.value.writeOutbox() }
            })
        self.outbox = outbox
        return outbox
    }

    func accept(_ session: Service.Session) {
        self.session = session
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        schedulePing(context: context)
        // A refusal (or anything queued before the handler joined the pipeline) goes out now.
        writeOutbox()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeOutbox()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down.
            startClose(code: .goingAway, reason: nil)
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // The client closed its side without a close frame (the server's channels allow
            // half-closure, so this is not a close by itself): nothing more can be read, and
            // nothing more is wanted.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors were answered with a close frame by NIO's protocol error handler.
        context.close(promise: nil)
    }

    /// Reading pauses while the session is busy: nothing more is read from the socket.
    func read(context: ChannelHandlerContext) {
        if sessionBusy {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            closeReceived(frame, context: context)
        case .ping:
            guard phase == .open else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            awaitingPong = false
        case .text, .binary:
            guard phase == .open else { return }
            guard fragments == nil else {
                return startClose(code: .protocolError, reason: "a new message began inside a fragmented one")
            }
            if frame.fin {
                messageComplete(opcode: frame.opcode, data: frame.unmaskedData)
            } else {
                fragments = (frame.opcode, frame.unmaskedData)
                checkFragmentsSize()
            }
        case .continuation:
            guard phase == .open else { return }
            guard var (opcode, data) = fragments else {
                return startClose(code: .protocolError, reason: "a continuation frame with no message to continue")
            }
            fragments = nil
            var more = frame.unmaskedData
            data.writeBuffer(&more)
            if frame.fin {
                messageComplete(opcode: opcode, data: data)
            } else {
                fragments = (opcode, data)
                checkFragmentsSize()
            }
        default:
            startClose(code: .protocolError, reason: "unknown opcode")
        }
    }

    // MARK: Messages

    private func checkFragmentsSize() {
        guard let fragments, fragments.data.readableBytes > settings.maxMessageBytes else { return }
        self.fragments = nil
        startClose(code: .messageTooLarge, reason: "messages are limited to \(settings.maxMessageBytes) bytes")
    }

    private func messageComplete(opcode: WebSocketOpcode, data: ByteBuffer) {
        guard data.readableBytes <= settings.maxMessageBytes else {
            return startClose(
                code: .messageTooLarge, reason: "messages are limited to \(settings.maxMessageBytes) bytes")
        }
        let message: WebSocketMessage
        if opcode == .text {
            let text = data.readableBytesView.withContiguousStorageIfAvailable {
                String(validating: $0, as: UTF8.self)
            }
            guard let text = text ?? String(validating: Array(data.readableBytesView), as: UTF8.self) else {
                return startClose(code: .dataInconsistentWithMessage, reason: "text messages must be UTF-8")
            }
            message = .text(text)
        } else {
            message = .binary(data)
        }
        if sessionBusy {
            // Bounded by what one read brings: reading stops while the session is busy.
            waiting.append(message)
        } else {
            hand(message)
        }
    }

    /// Gives `message` to the session; when it returns slow work, stops reading until it is done.
    private func hand(_ message: WebSocketMessage) {
        guard let session, let context, phase == .open else { return }
        guard let work = session.received(message) else { return }
        sessionBusy = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        Task {
            await work()
            eventLoop.execute { handler.value.sessionDone() }
        }
    }

    private func sessionDone() {
        sessionBusy = false
        while !sessionBusy, !waiting.isEmpty {
            hand(waiting.removeFirst())
        }
        if !sessionBusy, readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    // MARK: Writing

    /// Writes what the outbox holds, if the socket takes more now; carries out a close request.
    private func writeOutbox() {
        guard let context, let outbox, phase == .open else { return }
        switch outbox.take(texts: context.channel.isWritable) {
        case .nothing:
            return
        case .texts(let texts):
            for text in texts {
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: text)), promise: nil)
            }
            context.flush()
        case .close(let request):
            if let finalText = request.finalText {
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: finalText)), promise: nil)
            }
            startClose(code: WebSocketErrorCode(codeNumber: Int(request.code)), reason: request.reason)
        }
    }

    // MARK: Closing

    /// Sends a close frame and waits (up to the close timeout) for the client's.
    private func startClose(code: WebSocketErrorCode, reason: String?) {
        guard let context, phase == .open else { return }
        phase = .closeSent
        context.writeAndFlush(wrapOutboundOut(closeFrame(code: code, reason: reason)), promise: nil)
        let channel = context.channel
        closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(settings.closeTimeout)) {
            channel.close(promise: nil)
        }
    }

    private func closeReceived(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        switch phase {
        case .open:
            // The client closes: answer with its code, then end the connection.
            phase = .closed
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            let reply = closeFrame(code: code, reason: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
        case .closeSent:
            phase = .closed
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    private func closeFrame(code: WebSocketErrorCode, reason: String?) -> WebSocketFrame {
        var data = context!.channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        data.write(webSocketErrorCode: code)
        if let reason {
            // Control frames carry at most 125 bytes: the code and 123 of reason.
            data.writeBytes(reason.utf8.prefix(123))
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    /// The connection is over: the session hears of it once, timers stop, the outbox lets go.
    private func finish() {
        guard !finished else { return }
        finished = true
        phase = .closed
        pingTimer?.cancel()
        pingTimer = nil
        closeTimer?.cancel()
        closeTimer = nil
        outbox?.detach()
        waiting = []
        let session = self.session
        self.session = nil
        session?.closed()
    }

    // MARK: Keep-alive

    private func schedulePing(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        pingTimer = context.eventLoop.scheduleTask(in: TimeAmount(settings.pingInterval)) {
            handler.value.pingDue()
        }
    }

    private func pingDue() {
        guard let context, phase == .open else { return }
        if awaitingPong {
            // The client has not answered the last ping within a whole interval: it is gone.
            context.writeAndFlush(wrapOutboundOut(closeFrame(code: .goingAway, reason: "Ping timeout")), promise: nil)
            phase = .closeSent
            context.close(promise: nil)
            return
        }
        awaitingPong = true
        let ping = WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(wrapOutboundOut(ping), promise: nil)
        schedulePing(context: context)
    }
}
