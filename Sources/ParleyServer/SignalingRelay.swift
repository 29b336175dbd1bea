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

    init(configuration: ParleyConfiguration) {
        self.state = Mutex(State(hub: SignalingHub(configuration: configuration.signaling)))
        self.outboxMessageLimit = configuration.outboxMessageLimit
        self.outboxByteLimit = configuration.outboxByteLimit
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
        handle { $0.textReceived(text, from: connection) }
    }

    func binaryReceived(from connection: ConnectionID) {
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

    func shutdown() {
        handle { $0.shutdown() }
    }

    /// Rooms and connections right now, for logs and tests.
    var counts: (rooms: Int, connections: Int) {
        state.withLock { ($0.hub.roomCount, $0.hub.connectionCount) }
    }

    private func handle(_ event: (inout SignalingHub<SystemRandomNumberGenerator>) -> [SignalingAction]) {
        state.withLock { state in
            run(event(&state.hub), in: &state)
        }
    }

    private func run(_ actions: [SignalingAction], in state: inout State) {
        var actions = actions
        while !actions.isEmpty {
            var tooSlow: [ConnectionID] = []
            for action in actions {
                switch action {
                case .send(let message, let connection):
                    deliver(message.jsonText(), to: connection, in: state, tooSlow: &tooSlow)
                case .broadcast(let message, let connections):
                    let text = message.jsonText()
                    for connection in connections {
                        deliver(text, to: connection, in: state, tooSlow: &tooSlow)
                    }
                case .close(let connection, let code, let finalError):
                    state.outboxes[connection]?.close(
                        code: code, finalText: finalError.map { ServerMessage.error($0).jsonText() })
                }
            }
            // Dropping a slow client makes more actions (peer-left for its room), which can in
            // turn find more slow clients; each round removes at least one, so this ends.
            actions = tooSlow.flatMap { state.hub.deliveryFailed(to: $0) }
        }
    }

    private func deliver(_ text: String, to connection: ConnectionID, in state: State, tooSlow: inout [ConnectionID]) {
        if case .full = state.outboxes[connection]?.enqueue(text) {
            tooSlow.append(connection)
        }
    }
}
