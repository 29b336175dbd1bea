/// Limits and settings of the signalling logic, part of the server's configuration.
public struct SignalingConfiguration: Hashable, Sendable {
    /// Most participants in one room. A mesh sends every video once per peer, so more than
    /// about 8 overwhelms a typical uplink.
    public var maxPeersPerRoom: Int
    /// Largest accepted message, in bytes of UTF-8. An SDP offer with many codecs is ~10 KB.
    public var maxMessageBytes: Int
    /// Handed to every client in `joined`.
    public var iceServers: [ICEServer]

    public init(maxPeersPerRoom: Int = 8, maxMessageBytes: Int = 65_536, iceServers: [ICEServer] = []) {
        self.maxPeersPerRoom = maxPeersPerRoom
        self.maxMessageBytes = maxMessageBytes
        self.iceServers = iceServers
    }
}

/// All connections and rooms of one server: the signalling state machine.
///
/// Pure: the IO shell reports events (a connection opened, a text arrived, a deadline passed,
/// a connection closed) and runs the actions returned, in order. No clock, no sockets; peer
/// ids come from the random number generator passed in, so tests can fix them.
public struct SignalingHub<Random: RandomNumberGenerator> {
    private enum ConnectionState: Hashable {
        case awaitingJoin
        case joined(RoomName, PeerID)
        /// The server has decided to close it; whatever still arrives is ignored.
        case closing
    }

    public let configuration: SignalingConfiguration
    private var random: Random
    private var connections: [ConnectionID: ConnectionState] = [:]
    private var rooms: [RoomName: Room] = [:]
    private var peerIDsInUse: Set<PeerID> = []
    /// Set once the server starts shutting down; no one can join after that.
    public private(set) var isDraining = false

    public init(configuration: SignalingConfiguration, random: Random) {
        self.configuration = configuration
        self.random = random
    }

    /// Rooms with at least one participant.
    public var roomCount: Int { rooms.count }
    /// Open connections, joined or not.
    public var connectionCount: Int { connections.count }
    /// Connections that are in a room.
    public var participantCount: Int { peerIDsInUse.count }

    public func room(_ name: RoomName) -> Room? { rooms[name] }

    // MARK: Events

    public mutating func connectionOpened(_ connection: ConnectionID) {
        connections[connection] = .awaitingJoin
    }

    /// A text frame arrived.
    public mutating func textReceived(_ text: String, from connection: ConnectionID) -> [SignalingAction] {
        decodedMessageReceived(ClientMessage.decode(text, maxBytes: configuration.maxMessageBytes), from: connection)
    }

    /// A text frame arrived and was decoded already (the shell decodes outside its lock).
    public mutating func decodedMessageReceived(
        _ decoded: Result<ClientMessage, SignalingError>, from connection: ConnectionID
    ) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        switch decoded {
        case .success(let message):
            return messageReceived(message, from: connection)
        case .failure(let error):
            return [.send(.error(error), to: connection)]
        }
    }

    /// A binary frame arrived; the protocol has none.
    public mutating func binaryReceived(from connection: ConnectionID) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        return [
            .send(
                .error(SignalingError(.binaryNotSupported, "send JSON in text frames; binary frames are not used")),
                to: connection)
        ]
    }

    public mutating func messageReceived(_ message: ClientMessage, from connection: ConnectionID) -> [SignalingAction] {
        guard let state = connections[connection] else { return [] }
        switch (state, message) {
        case (.closing, _):
            return []
        case (.awaitingJoin, .join(let roomName, let name, let audio, let video)):
            return join(roomName, as: name, audio: audio, video: video, from: connection)
        case (.awaitingJoin, _):
            return [.send(.error(SignalingError(.notJoined, "send \"join\" first")), to: connection)]
        case (.joined(let roomName, _), .join):
            return [
                .send(
                    .error(SignalingError(.alreadyJoined, "this connection is already in room '\(roomName)'")),
                    to: connection)
            ]
        case (.joined(let roomName, let peer), .signal(let target, let data)):
            guard let room = rooms[roomName] else { return [] }
            return [room.relaySignal(from: peer, connection: connection, to: target, data: data)]
        case (.joined(let roomName, let peer), .media(let audio, let video)):
            return rooms[roomName]?.changeMedia(of: peer, audio: audio, video: video) ?? []
        case (.joined, .leave):
            return removeFromRoom(connection) + [.close(connection, code: .normal)]
        }
    }

    /// The join deadline of `connection` passed. Harmless if it has joined since.
    public mutating func joinDeadlinePassed(for connection: ConnectionID) -> [SignalingAction] {
        guard connections[connection] == .awaitingJoin else { return [] }
        connections[connection] = .closing
        return [
            .close(
                connection, code: .policyViolation,
                finalError: SignalingError(.joinTimeout, "no \"join\" arrived in time after connecting"))
        ]
    }

    /// Messages for `connection` could not be queued: it does not read fast enough. It is
    /// dropped, so that one slow client costs bounded memory and never delays the others.
    public mutating func deliveryFailed(to connection: ConnectionID) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        return removeFromRoom(connection) + [
            .close(
                connection, code: .policyViolation,
                finalError: SignalingError(.slowConsumer, "too many messages waiting for this connection"))
        ]
    }

    /// The connection is gone (closed by either side, or failed).
    public mutating func connectionClosed(_ connection: ConnectionID) -> [SignalingAction] {
        let actions = removeFromRoom(connection)
        connections[connection] = nil
        return actions
    }

    /// The server will shut down within `seconds`: joined clients are told so that calls can
    /// wind down, and nobody new may join.
    public mutating func drainStarted(within seconds: Int) -> [SignalingAction] {
        isDraining = true
        let joined = connections.compactMap { connection, state -> ConnectionID? in
            if case .joined = state { connection } else { nil }
        }
        return joined.isEmpty ? [] : [.broadcast(.draining(seconds: seconds), to: joined)]
    }

    /// The server is shutting down: every connection is closed with "going away".
    public mutating func shutdown() -> [SignalingAction] {
        var actions: [SignalingAction] = []
        for (connection, state) in connections where state != .closing {
            connections[connection] = .closing
            actions.append(.close(connection, code: .goingAway))
        }
        return actions
    }

    // MARK: Steps

    private mutating func join(
        _ roomName: RoomName, as name: DisplayName, audio: Bool, video: Bool, from connection: ConnectionID
    ) -> [SignalingAction] {
        guard !isDraining else {
            let error = SignalingError(.serverDraining, "the server is shutting down; try again in a minute")
            return [.send(.error(error), to: connection)]
        }
        var room = rooms[roomName] ?? Room(name: roomName)
        var id = PeerID.random(using: &random)
        while peerIDsInUse.contains(id) {
            id = PeerID.random(using: &random)
        }
        let newcomer = PeerInfo(id: id, name: name, audio: audio, video: video)
        switch room.admit(
            newcomer, connection: connection,
            maxMembers: configuration.maxPeersPerRoom, iceServers: configuration.iceServers)
        {
        case .success(let actions):
            rooms[roomName] = room
            connections[connection] = .joined(roomName, id)
            peerIDsInUse.insert(id)
            return actions
        case .failure(let error):
            return [.send(.error(error), to: connection)]
        }
    }

    /// Takes `connection` out of its room, if it is in one, and marks it closing.
    private mutating func removeFromRoom(_ connection: ConnectionID) -> [SignalingAction] {
        guard case .joined(let roomName, let peer) = connections[connection] else { return [] }
        connections[connection] = .closing
        peerIDsInUse.remove(peer)
        guard var room = rooms[roomName] else { return [] }
        let actions = room.remove(peer)
        rooms[roomName] = room.isEmpty ? nil : room
        return actions
    }
}

extension SignalingHub where Random == SystemRandomNumberGenerator {
    public init(configuration: SignalingConfiguration) {
        self.init(configuration: configuration, random: SystemRandomNumberGenerator())
    }
}
