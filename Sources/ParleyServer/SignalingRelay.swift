import ParleySignaling
import Synchronization

/// The IO side of signalling: owns the pure `SignalingHub` and one `Outbox` per connection,
/// feeds the hub the events the WebSocket handlers report, and runs the actions it returns.
///
/// It makes no protocol decisions itself. Events are handled one at a time under a lock, and
/// actions are queued before the lock is released, so every client sees messages in the order
/// the hub decided them (a `peer-joined` never overtakes the `peer-left` before it).
final class SignalingRelay: Sendable {
    private struct State {
        var hub: SignalingHub<SystemRandomNumberGenerator>
        var outboxes: [ConnectionID: Outbox] = [:]
        var nextConnection: UInt64 = 1
    }

    private let state: Mutex<State>
    private let outboxMessageLimit: Int
    private let outboxByteLimit: Int
    private let maxMessageBytes: Int
    private let metrics: ParleyMetrics
    /// Yields once draining has started and the last participant has left.
    let drained: AsyncStream<Void>
    private let drainedSink: AsyncStream<Void>.Continuation

    init(configuration: ParleyConfiguration, metrics: ParleyMetrics) {
        self.state = Mutex(State(hub: SignalingHub(configuration: configuration.signaling)))
        self.outboxMessageLimit = configuration.outboxMessageLimit
        self.outboxByteLimit = configuration.outboxByteLimit
        self.maxMessageBytes = configuration.signaling.maxMessageBytes
        self.metrics = metrics
        (drained, drainedSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// A WebSocket was accepted: returns its id and the outbox its writer must drain.
    func open() -> (ConnectionID, Outbox) {
        let outbox = Outbox(messageLimit: outboxMessageLimit, byteLimit: outboxByteLimit)
        let connection = state.withLock { state in
            let connection = ConnectionID(state.nextConnection)
            state.nextConnection += 1
            state.outboxes[connection] = outbox
            state.hub.connectionOpened(connection)
            return connection
        }
        return (connection, outbox)
    }

    func textReceived(_ text: String, from connection: ConnectionID) {
        // Parsing is the costly part of a message; done here, it stays outside the lock.
        let decoded = ClientMessage.decode(text, maxBytes: maxMessageBytes)
        metrics.messageReceived(type: (try? decoded.get())?.type ?? "invalid")
        handle { $0.decodedMessageReceived(decoded, from: connection) }
    }

    func binaryReceived(from connection: ConnectionID) {
        metrics.messageReceived(type: "binary")
        handle { $0.binaryReceived(from: connection) }
    }

    func joinDeadlinePassed(for connection: ConnectionID) {
        handle { $0.joinDeadlinePassed(for: connection) }
    }

    func closed(_ connection: ConnectionID) {
        state.withLock { state in
            state.outboxes[connection] = nil
            run(state.hub.connectionClosed(connection), in: &state)
        }
    }

    /// Starts the graceful drain: clients are told they have `seconds` left, joins are refused.
    func startDrain(within seconds: Int) {
        handle { $0.drainStarted(within: seconds) }
    }

    var isDraining: Bool {
        state.withLock { $0.hub.isDraining }
    }

    func shutdown() {
        handle { $0.shutdown() }
    }

    private func handle(_ event: (inout SignalingHub<SystemRandomNumberGenerator>) -> [SignalingAction]) {
        state.withLock { state in
            run(event(&state.hub), in: &state)
        }
    }

    private func run(_ actions: [SignalingAction], in state: inout State) {
        defer {
            let hub = state.hub
            metrics.record(rooms: hub.roomCount, participants: hub.participantCount, connections: hub.connectionCount)
            if hub.isDraining && hub.participantCount == 0 {
                drainedSink.yield()
            }
        }
        var actions = actions
        while !actions.isEmpty {
            var tooSlow: [ConnectionID] = []
            for action in actions {
                switch action {
                case .send(let message, let connection):
                    count(message, recipients: 1)
                    deliver(message.jsonText(), to: connection, in: state, tooSlow: &tooSlow)
                case .broadcast(let message, let connections):
                    count(message, recipients: connections.count)
                    let text = message.jsonText()
                    for connection in connections {
                        deliver(text, to: connection, in: state, tooSlow: &tooSlow)
                    }
                case .close(let connection, let code, let finalError):
                    if let finalError { count(.error(finalError), recipients: 1) }
                    state.outboxes[connection]?.close(
                        code: code, finalText: finalError.map { ServerMessage.error($0).jsonText() })
                }
            }
            // Dropping a slow client makes more actions (peer-left for its room), which can in
            // turn find more slow clients; each round removes at least one, so this ends.
            actions = tooSlow.flatMap { state.hub.deliveryFailed(to: $0) }
        }
    }

    private func count(_ message: ServerMessage, recipients: Int) {
        metrics.messagesSent(type: message.type, count: recipients)
        if case .error(let error) = message {
            metrics.errorSent(code: error.code.rawValue)
            if error.rejectsJoin {
                metrics.joinRejected(reason: error.code.rawValue)
            }
        }
    }

    private func deliver(_ text: String, to connection: ConnectionID, in state: State, tooSlow: inout [ConnectionID]) {
        if case .full = state.outboxes[connection]?.enqueue(text) {
            tooSlow.append(connection)
        }
    }
}
