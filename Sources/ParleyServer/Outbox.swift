import ParleySignaling
import Synchronization

/// The bounded queue of text frames waiting to be written to one WebSocket.
///
/// Producers never wait: `enqueue` answers at once, and a full queue means the client is too
/// slow, which the signalling hub turns into dropping that client. A close request overtakes
/// whatever is still queued.
final class Outbox: Sendable {
    enum EnqueueResult {
        case queued
        /// Over the message or byte limit.
        case full
        /// A close was requested; nothing more is sent.
        case closed
    }

    struct CloseRequest {
        var code: CloseCode
        /// Sent just before the close frame (the error explaining it).
        var finalText: String?
    }

    private struct State {
        var queue: [String] = []
        var queuedBytes = 0
        var closeRequest: CloseRequest?
    }

    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let messageLimit: Int
    private let byteLimit: Int

    init(messageLimit: Int, byteLimit: Int) {
        self.messageLimit = messageLimit
        self.byteLimit = byteLimit
        // One pending wake-up is enough: the writer takes everything queued each time.
        (wakeups, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func enqueue(_ text: String) -> EnqueueResult {
        let result = state.withLock { state -> EnqueueResult in
            guard state.closeRequest == nil else { return .closed }
            let bytes = text.utf8.count
            guard state.queue.count < messageLimit, state.queuedBytes + bytes <= byteLimit else { return .full }
            state.queue.append(text)
            state.queuedBytes += bytes
            return .queued
        }
        if case .queued = result { wake.yield() }
        return result
    }

    /// Asks the writer to send `finalText` (if any), then close with `code`. The first request wins.
    func close(code: CloseCode, finalText: String?) {
        state.withLock { state in
            if state.closeRequest == nil {
                state.closeRequest = CloseRequest(code: code, finalText: finalText)
                state.queue = []
                state.queuedBytes = 0
            }
        }
        wake.yield()
    }

    /// Writes queued texts with `write` until a close is requested, which it hands to `close`.
    /// Returns after the close, or throws when a write fails (the peer is gone).
    func drain(
        write: (String) async throws -> Void,
        close: (CloseRequest) async throws -> Void
    ) async throws {
        for await _ in wakeups {
            let (batch, closeRequest) = state.withLock { state in
                defer {
                    state.queue = []
                    state.queuedBytes = 0
                }
                return (state.queue, state.closeRequest)
            }
            if let closeRequest {
                try await close(closeRequest)
                return
            }
            for text in batch {
                try await write(text)
            }
        }
    }
}
