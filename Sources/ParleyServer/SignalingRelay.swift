import Foundation
import NIOCore
import NIOPosix
import ParleySignaling
import Synchronization
import WebSocketServer

/// Rates and counts that protect the server from any one client or address.
public struct AbuseLimits: Sendable {
    /// Messages one connection may send: a burst, then a steady rate per second.
    public var messageBurst: Int = 100
    public var messagesPerSecond: Double = 50
    /// Messages dropped in a row (over the rate) before the connection is closed.
    public var maxDroppedMessages: Int = 200
    /// Joins from one address: a burst, then a steady rate per second.
    public var joinBurst: Int = 60
    public var joinsPerSecond: Double = 1
    /// Wrong room passwords from one address: a burst, then a steady rate per second.
    public var failedPasswordBurst: Int = 5
    public var failedPasswordsPerSecond: Double = 1.0 / 12
    /// How long a wrong password's answer is held back.
    public var wrongPasswordDelay: Duration = .seconds(1)
    /// Open WebSocket connections from one address; 0 for no limit.
    public var maxConnectionsPerAddress: Int = 100

    public init() {}
}

/// The IO side of signalling: owns the pure `SignalingHub` and one `Outbox` per connection,
/// feeds the hub the events the WebSocket handlers report, and runs the actions it returns.
///
/// It makes no protocol decisions itself. It does the work the hub must not: the clock (rate
/// limits), slow hashing and token checks, persistence. Events are handled one at a time
/// under a lock, and actions are queued before the lock is released, so every client sees
/// messages in the order the hub decided them.
final class SignalingRelay: Sendable {
    private struct Connection {
        let outbox: Outbox
        let address: String
        var messages: TokenBucket
        var droppedInARow = 0

        /// Takes one message from the rate limit; how many have been dropped in a row, 0 if
        /// this one may go on.
        mutating func admitMessage(now: Duration) -> Int {
            droppedInARow = messages.take(now: now) ? 0 : droppedInARow + 1
            return droppedInARow
        }
    }

    private struct State {
        var hub: SignalingHub
        var connections: [ConnectionID: Connection] = [:]
        var nextConnection: UInt64 = 1
        var connectionsPerAddress: [String: Int] = [:]
        var joinsPerAddress: [String: TokenBucket] = [:]
        var failedPasswordsPerAddress: [String: TokenBucket] = [:]
        /// Connections opened, oldest first, with the moment their join is due (`now` plus
        /// the join timeout). Every connection gets the same timeout, so the order of opening is
        /// the order of deadlines and the first entry is always the next one due. Entries are
        /// removed when due, whatever happened to the connection since: the hub ignores a
        /// deadline for a connection that has joined or closed.
        var joinDeadlines: [(connection: ConnectionID, due: Duration)] = []
        var nextJoinDeadline = 0
        /// Messages, errors and refused joins counted since `/metrics` was last read.
        var tally = MessageTally()
    }

    private let state: Mutex<State>
    private let configuration: ParleyConfiguration
    private let metrics: ParleyMetrics
    private let tokens: JoinTokenAuthority?
    private let turnCredentials: TURNCredentialIssuer?
    /// Time since the relay started: rate limits and join deadlines are measured on it.
    private let uptime: @Sendable () -> Duration
    /// Yields once draining has started and the last participant has left.
    let drained: AsyncStream<Void>
    private let drainedSink: AsyncStream<Void>.Continuation
    /// Away participants' resume windows to time: the closed connection and the window.
    let awayTimers: AsyncStream<(ConnectionID, Duration)>
    private let awayTimersSink: AsyncStream<(ConnectionID, Duration)>.Continuation
    /// What to persist, in the order the hub decided it.
    let storeWrites: AsyncStream<StoreWrite>
    private let storeWritesSink: AsyncStream<StoreWrite>.Continuation

    /// One thing for the store to write.
    enum StoreWrite: Sendable {
        case room(RoomName, RoomSettings)
        case chat(RoomName, ChatMessage)
    }

    init(
        configuration: ParleyConfiguration, knownRooms: [RoomName: RoomSettings],
        chatHistory: [RoomName: [ChatMessage]] = [:], tokens: JoinTokenAuthority?,
        turnCredentials: TURNCredentialIssuer?, metrics: ParleyMetrics,
        uptime: (@Sendable () -> Duration)? = nil
    ) {
        self.turnCredentials = turnCredentials
        self.state = Mutex(
            State(
                hub: SignalingHub(
                    configuration: configuration.signaling, knownRooms: knownRooms, chatHistory: chatHistory)))
        self.configuration = configuration
        self.metrics = metrics
        self.tokens = tokens
        if let uptime {
            self.uptime = uptime
        } else {
            let clock = ContinuousClock()
            let startedAt = clock.now
            self.uptime = { clock.now - startedAt }
        }
        (drained, drainedSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (storeWrites, storeWritesSink) = AsyncStream.makeStream()
        (awayTimers, awayTimersSink) = AsyncStream.makeStream()
    }

    private var now: Duration { uptime() }

    /// The wall clock in milliseconds since the Unix epoch: chat timestamps and ages.
    static var wallClockMilliseconds: Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down)) }

    /// A WebSocket was accepted from `address`, with `outbox` for what is sent to it: returns
    /// its id, or nil when that address already has as many connections as it may.
    func open(from address: String, outbox: Outbox) -> ConnectionID? {
        let limits = configuration.limits
        let now = self.now
        return state.withLock { state in
            let open = state.connectionsPerAddress[address, default: 0]
            if limits.maxConnectionsPerAddress > 0 && open >= limits.maxConnectionsPerAddress {
                return nil
            }
            state.connectionsPerAddress[address] = open + 1
            let connection = ConnectionID(state.nextConnection)
            state.nextConnection += 1
            state.connections[connection] = Connection(
                outbox: outbox, address: address,
                messages: TokenBucket(capacity: limits.messageBurst, ratePerSecond: limits.messagesPerSecond))
            state.hub.connectionOpened(connection)
            state.joinDeadlines.append((connection, now + configuration.joinTimeout))
            return connection
        }
    }

    /// Handles a text message from `connection`. Returns nil when it has been handled, or the
    /// rest of the work when it needs a slow check first (a password's hash, a join token's
    /// signature); the connection reads nothing more until that work is done, so the hub still
    /// sees every connection's messages in order.
    func textReceived(_ text: String, from connection: ConnectionID) -> (@Sendable () async -> Void)? {
        // Parsing is the costly part of a message; done here, it stays outside the lock. (A
        // message over the rate is parsed too, then dropped: its size is bounded, and the
        // WebSocket layer has read and checked every byte of it already.)
        let decoded = ClientMessage.decode(text, maxBytes: configuration.signaling.maxMessageBytes)
        let type = (try? decoded.get())?.type ?? "invalid"
        switch decoded {
        case .success(.join(let room, _, _, _, let password, let token, _)):
            guard admitMessage(type, from: connection) else { return nil }
            let admission = admitJoin(room: room, password: password, connection: connection)
            let needsChecking =
                admission.allowed && (token != nil || (password != nil && admission.passwordHash != nil))
            guard needsChecking else {
                handle(decoded, from: connection, credentials: JoinCredentials(rateLimited: !admission.allowed))
                return nil
            }
            return { [self] in
                let credentials = await checkCredentials(
                    password: password, against: admission.passwordHash, token: token, connection: connection)
                handle(decoded, from: connection, credentials: credentials)
            }
        case .success(.setPassword(let password)):
            guard admitMessage(type, from: connection) else { return nil }
            // Only a moderator's password is worth hashing; anyone else's request is refused by
            // the hub anyway, so it gets no hashing work out of the server.
            guard let password, state.withLock({ $0.hub.role(of: connection) }) == .moderator else {
                handle(.success(.moderate(.setPassword(hash: nil))), from: connection)
                return nil
            }
            let cost = configuration.passwordHashCost
            return { [self] in
                let hash = await Self.offload { PasswordHasher.hash(password, logRounds: cost) }
                handle(.success(.moderate(.setPassword(hash: hash))), from: connection)
            }
        default:
            // Nearly every message (a signal, above all): admitted and handled under one lock.
            let now = self.now
            let wallClock = Self.wallClockMilliseconds
            state.withLock { state in
                guard admit(type, from: connection, now: now, in: &state) else { return }
                run(state.hub.decodedMessageReceived(decoded, from: connection, now: wallClock), in: &state)
            }
            return nil
        }
    }

    private func handle(
        _ decoded: Result<ClientMessage, SignalingError>, from connection: ConnectionID,
        credentials: JoinCredentials = JoinCredentials()
    ) {
        handle {
            $0.decodedMessageReceived(
                decoded, from: connection, credentials: credentials, now: Self.wallClockMilliseconds)
        }
    }

    func binaryReceived(from connection: ConnectionID) {
        let now = self.now
        state.withLock { state in
            guard admit("binary", from: connection, now: now, in: &state) else { return }
            run(state.hub.binaryReceived(from: connection), in: &state)
        }
    }

    /// Tells the hub of every join deadline that has passed, and returns how long until the
    /// next one (the join timeout when no connection is waiting: none can be due sooner).
    ///
    /// One task times every connection's join this way (`JoinDeadlines`), instead of a
    /// sleeping task per connection, which cost about 2 KiB per connection.
    func passJoinDeadlines() -> Duration {
        let now = self.now
        return state.withLock { state in
            while state.nextJoinDeadline < state.joinDeadlines.count {
                let (connection, due) = state.joinDeadlines[state.nextJoinDeadline]
                guard due <= now else { break }
                state.nextJoinDeadline += 1
                run(state.hub.joinDeadlinePassed(for: connection), in: &state)
            }
            // The passed entries are dropped once they are half of the list, so keeping it
            // costs constant time per connection.
            if state.nextJoinDeadline > state.joinDeadlines.count / 2 {
                state.joinDeadlines.removeFirst(state.nextJoinDeadline)
                state.nextJoinDeadline = 0
            }
            guard state.nextJoinDeadline < state.joinDeadlines.count else { return configuration.joinTimeout }
            return state.joinDeadlines[state.nextJoinDeadline].due - now
        }
    }

    /// The resume window of the participant whose connection `connection` dropped is over.
    func resumeWindowPassed(for connection: ConnectionID) {
        handle { $0.resumeWindowPassed(for: connection) }
    }

    func closed(_ connection: ConnectionID) {
        state.withLock { state in
            if let address = state.connections.removeValue(forKey: connection)?.address {
                let remaining = state.connectionsPerAddress[address, default: 1] - 1
                state.connectionsPerAddress[address] = remaining > 0 ? remaining : nil
            }
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
        storeWritesSink.finish()
        awayTimersSink.finish()
    }

    /// Chat older than the retention period is forgotten (the store deletes it too).
    func chatRetentionPassed(now: Int64) {
        state.withLock { $0.hub.chatRetentionPassed(now: now) }
    }

    /// Sets the room, participant and connection gauges to what the hub holds now, and adds
    /// the messages counted since the last time to the counters.
    func recordGauges() {
        state.withLock { state in
            metrics.publish(&state.tally)
            metrics.record(
                rooms: state.hub.roomCount, participants: state.hub.participantCount,
                connections: state.hub.connectionCount)
        }
    }

    // MARK: Administration

    func summaries() -> [RoomSummary] {
        state.withLock { $0.hub.summaries() }
    }

    func createRoom(_ name: RoomName, settings: RoomSettings) -> Bool {
        state.withLock { state in
            let (created, actions) = state.hub.adminCreateRoom(name, settings: settings)
            run(actions, in: &state)
            return created
        }
    }

    func closeRoom(_ name: RoomName) -> Bool {
        state.withLock { state in
            guard let actions = state.hub.adminCloseRoom(name) else { return false }
            run(actions, in: &state)
            return true
        }
    }

    func kick(_ peer: PeerID, from room: RoomName) -> Bool {
        state.withLock { state in
            guard let actions = state.hub.adminKick(peer, from: room) else { return false }
            run(actions, in: &state)
            return true
        }
    }

    // MARK: Steps

    /// `admit(_:from:now:in:)` under the lock of its own.
    private func admitMessage(_ type: String, from connection: ConnectionID) -> Bool {
        let now = self.now
        return state.withLock { admit(type, from: connection, now: now, in: &$0) }
    }

    /// The per-connection token bucket: over the rate, a message is dropped with one
    /// `rate-limited` error; a client that keeps going is closed. A message let through is
    /// counted by its `type`.
    private func admit(_ type: String, from connection: ConnectionID, now: Duration, in state: inout State) -> Bool {
        // Changed in place: one lookup, and no copy of the entry in and out.
        guard let droppedInARow = state.connections[connection]?.admitMessage(now: now) else { return false }
        if droppedInARow == 0 {
            state.tally.add(.received, type)
            return true
        }
        let limits = configuration.limits
        if droppedInARow == 1 {
            let error = SignalingError(
                .rateLimited,
                "more than \(limits.messageBurst) messages at once or \(Int(limits.messagesPerSecond)) a second; messages are being dropped"
            )
            run([.send(.error(error), to: connection)], in: &state)
        } else if droppedInARow >= limits.maxDroppedMessages {
            run(state.hub.rateLimitExceeded(by: connection), in: &state)
        }
        return false
    }

    /// A join's checks that need no waiting: the address's join rate and password-guess rate,
    /// and the room's password hash (checked afterwards, outside the lock).
    private func admitJoin(
        room: RoomName, password: String?, connection: ConnectionID
    ) -> (allowed: Bool, passwordHash: String?) {
        let now = self.now
        let limits = configuration.limits
        return state.withLock { state -> (Bool, String?) in
            guard let address = state.connections[connection]?.address else { return (false, nil) }
            var joins =
                state.joinsPerAddress[address]
                ?? TokenBucket(capacity: limits.joinBurst, ratePerSecond: limits.joinsPerSecond)
            let joinAllowed = joins.take(now: now)
            state.joinsPerAddress[address] = joins
            let failures =
                state.failedPasswordsPerAddress[address]
                ?? TokenBucket(capacity: limits.failedPasswordBurst, ratePerSecond: limits.failedPasswordsPerSecond)
            var probe = failures
            let guessAllowed = password == nil || probe.take(now: now)
            Self.forgetFullBuckets(in: &state, now: now)
            return (joinAllowed && guessAllowed, state.hub.settings(of: room)?.passwordHash)
        }
    }

    /// Checks a join's token and password: scrypt takes tens of milliseconds, so it runs on
    /// the blocking pool, and a wrong password's answer is held back.
    private func checkCredentials(
        password: String?, against passwordHash: String?, token: String?, connection: ConnectionID
    ) async -> JoinCredentials {
        var credentials = JoinCredentials()
        if let token {
            credentials.token = await tokens?.check(token) ?? .invalid("this server does not accept join tokens")
        }
        if let password, let passwordHash {
            let matches = await Self.offload { PasswordHasher.verify(password, against: passwordHash) }
            credentials.passwordMatches = matches
            if !matches {
                recordFailedPassword(from: connection, now: now)
                try? await Task.sleep(for: configuration.limits.wrongPasswordDelay)
            }
        }
        return credentials
    }

    private func recordFailedPassword(from connection: ConnectionID, now: Duration) {
        let limits = configuration.limits
        state.withLock { state in
            guard let address = state.connections[connection]?.address else { return }
            var failures =
                state.failedPasswordsPerAddress[address]
                ?? TokenBucket(capacity: limits.failedPasswordBurst, ratePerSecond: limits.failedPasswordsPerSecond)
            _ = failures.take(now: now)
            state.failedPasswordsPerAddress[address] = failures
        }
    }

    /// Runs CPU-heavy work on NIO's blocking pool, off the cooperative threads that serve
    /// everyone else.
    private static func offload<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        (try? await NIOThreadPool.singleton.runIfActive(work)) ?? work()
    }

    /// Per-address buckets that are full again carry no information; dropping them bounds
    /// memory however many addresses come and go.
    private static func forgetFullBuckets(in state: inout State, now: Duration) {
        guard state.joinsPerAddress.count + state.failedPasswordsPerAddress.count > 10_000 else { return }
        state.joinsPerAddress = state.joinsPerAddress.filter { !$0.value.isFull(now: now) }
        state.failedPasswordsPerAddress = state.failedPasswordsPerAddress.filter { !$0.value.isFull(now: now) }
    }

    private func handle(_ event: (inout SignalingHub) -> [SignalingAction]) {
        state.withLock { state in
            run(event(&state.hub), in: &state)
        }
    }

    private func run(_ actions: [SignalingAction], in state: inout State) {
        defer {
            // The room and participant gauges are read when /metrics is scraped
            // (`recordGauges`), not here: counting participants walks every room, and this runs
            // for every message.
            if state.hub.isDrained {
                drainedSink.yield()
            }
        }
        var actions = actions
        while !actions.isEmpty {
            var tooSlow: [ConnectionID] = []
            for action in actions {
                switch action {
                case .send(let message, let connection):
                    count(message, recipients: 1, in: &state)
                    let text = ByteBuffer(string: withTURNCredentials(message).jsonText())
                    deliver(text, to: connection, in: state, tooSlow: &tooSlow)
                case .broadcast(let message, let connections):
                    count(message, recipients: connections.count, in: &state)
                    // Encoded once; every recipient's outbox shares the same bytes.
                    let text = ByteBuffer(string: message.jsonText())
                    for connection in connections {
                        deliver(text, to: connection, in: state, tooSlow: &tooSlow)
                    }
                case .close(let connection, let code, let finalError):
                    if let finalError { count(.error(finalError), recipients: 1, in: &state) }
                    state.connections[connection]?.outbox.close(
                        Outbox.CloseRequest(
                            code: code.rawValue,
                            finalText: finalError.map { ByteBuffer(string: ServerMessage.error($0).jsonText()) }))
                case .saveRoom(let name, let settings):
                    storeWritesSink.yield(.room(name, settings))
                case .saveChat(let room, let message):
                    storeWritesSink.yield(.chat(room, message))
                case .scheduleAwayExpiry(let connection, let window):
                    awayTimersSink.yield((connection, window))
                }
            }
            // Dropping a slow client makes more actions (peer-left for its room), which can in
            // turn find more slow clients; each round removes at least one, so this ends.
            actions = tooSlow.flatMap { state.hub.deliveryFailed(to: $0) }
        }
    }

    /// A `joined` gets TURN credentials minted for that participant, now: the hub has no clock
    /// and no secrets.
    private func withTURNCredentials(_ message: ServerMessage) -> ServerMessage {
        guard let turnCredentials,
            case .joined(let you, let room, let peers, let iceServers, let settings, let welcome) = message
        else { return message }
        return .joined(
            you: you, room: room, peers: peers,
            iceServers: iceServers + turnCredentials.iceServers(for: you.id, now: Date()), settings: settings,
            welcome: welcome)
    }

    private func count(_ message: ServerMessage, recipients: Int, in state: inout State) {
        state.tally.add(.sent, message.type, count: recipients)
        if case .error(let error) = message {
            state.tally.add(.error, error.code.rawValue)
            if error.rejectsJoin {
                state.tally.add(.joinRejected, error.code.rawValue)
            }
        }
    }

    private func deliver(
        _ text: ByteBuffer, to connection: ConnectionID, in state: State, tooSlow: inout [ConnectionID]
    ) {
        if case .full = state.connections[connection]?.outbox.enqueue(text) {
            tooSlow.append(connection)
        }
    }
}
