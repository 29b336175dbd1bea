import NIOCore
import Synchronization

/// The bounded queue of text frames waiting to be written to one WebSocket.
///
/// Producers, on any thread, never wait: `enqueue` answers at once, and a full queue means the
/// client is too slow, which the signalling hub turns into dropping that client. A close request
/// overtakes whatever is still queued.
///
/// The connection's handler drains it on the connection's event loop. A producer that queues
/// into an empty outbox wakes the handler once; later texts ride along with that wake-up, so a
/// burst costs one hop to the event loop and one flush.
public final class Outbox: Sendable {
    public enum EnqueueResult: Sendable {
        case queued
        /// Over the message or byte limit.
        case full
        /// A close was requested; nothing more is sent.
        case closed
    }

    public struct CloseRequest: Sendable {
        /// The WebSocket close code (RFC 6455, section 7.4).
        public var code: UInt16
        /// Sent as a text frame just before the close frame (the error explaining it).
        public var finalText: ByteBuffer?
        /// The close frame's reason (at most 123 bytes of UTF-8).
        public var reason: String?

        public init(code: UInt16, finalText: ByteBuffer? = nil, reason: String? = nil) {
            self.code = code
            self.finalText = finalText
            self.reason = reason
        }
    }

    /// What the handler takes out.
    enum Contents {
        case nothing
        case texts([ByteBuffer])
        case close(CloseRequest)
    }

    private struct State {
        var queue: [ByteBuffer] = []
        var queuedBytes = 0
        var closeRequest: CloseRequest?
        /// A wake-up is on its way to the handler (or the handler is waiting for the socket to
        /// take more), so queueing more need not send another.
        var wakePending = false
        /// Cleared when the connection is gone: it breaks the cycle handler → outbox → handler.
        var wake: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>
    private let messageLimit: Int
    private let byteLimit: Int

    /// - Parameter wake: called (on the producer's thread) when the outbox has something for
    ///   its connection: a text in an empty outbox, or a close request.
    public init(messageLimit: Int, byteLimit: Int, wake: @escaping @Sendable () -> Void) {
        self.messageLimit = messageLimit
        self.byteLimit = byteLimit
        self.state = Mutex(State(wake: wake))
    }

    /// Queues one text frame's payload (UTF-8). The same buffer may be queued to many outboxes:
    /// it is shared, not copied.
    public func enqueue(_ text: ByteBuffer) -> EnqueueResult {
        let (result, wake) = state.withLock { state -> (EnqueueResult, (@Sendable () -> Void)?) in
            guard state.closeRequest == nil, state.wake != nil else { return (.closed, nil) }
            guard state.queue.count < messageLimit, state.queuedBytes + text.readableBytes <= byteLimit else {
                return (.full, nil)
            }
            state.queue.append(text)
            state.queuedBytes += text.readableBytes
            guard !state.wakePending else { return (.queued, nil) }
            state.wakePending = true
            return (.queued, state.wake)
        }
        wake?()
        return result
    }

    /// Asks the handler to send the request's final text (if any), then close. The first
    /// request wins.
    public func close(_ request: CloseRequest) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.closeRequest == nil else { return nil }
            state.closeRequest = request
            state.queue = []
            state.queuedBytes = 0
            // Always woken: a handler holding back texts for a slow socket still closes.
            state.wakePending = true
            return state.wake
        }
        wake?()
    }

    /// The close request, or else (when `texts` is true) everything queued. Taking texts
    /// re-arms the wake-up; a handler that cannot write now leaves them, and asks again when
    /// the socket takes more.
    func take(texts: Bool) -> Contents {
        state.withLock { state in
            if let request = state.closeRequest { return .close(request) }
            guard texts else { return .nothing }
            state.wakePending = false
            guard !state.queue.isEmpty else { return .nothing }
            defer {
                state.queue = []
                state.queuedBytes = 0
            }
            return .texts(state.queue)
        }
    }

    /// The connection is gone: nothing more is queued or woken.
    func detach() {
        state.withLock { state in
            state.wake = nil
            state.queue = []
            state.queuedBytes = 0
        }
    }
}
