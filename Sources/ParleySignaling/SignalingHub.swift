/// Limits and settings of the signalling logic, part of the server's configuration.
public struct SignalingConfiguration: Hashable, Sendable {
    /// Most participants in one room. A mesh sends every video once per peer, so more than
    /// about 8 overwhelms a typical uplink.
    public var maxPeersPerRoom: Int
    /// Largest accepted message, in bytes of UTF-8. An SDP offer with many codecs is ~10 KB.
    public var maxMessageBytes: Int
    /// Largest SDP in a relayed description, in bytes, and most lines in it. Chromium's offers
    /// for one audio, one video and a data channel are 5–10 KB and under 200 lines.
    public var maxSDPBytes: Int
    public var maxSDPLines: Int
    /// Most people waiting in one room's lobby.
    public var maxLobbyPerRoom: Int
    /// Handed to every client in `joined`.
    public var iceServers: [ICEServer]
    /// Refuse joins without a valid join token (for embedding in another site).
    public var requireToken: Bool
    /// Refuse joins to rooms that were not created beforehand (admin API).
    public var requirePrecreatedRooms: Bool
    /// Longest chat message, in characters after trimming.
    public var maxChatCharacters: Int
    /// Most messages of a room's recent chat handed to a newcomer in `joined.chat`.
    public var chatHistoryLimit: Int
    /// How long chat is kept; zero relays chat without storing it (and sends no history).
    public var chatRetention: Duration
    /// How long a participant whose connection dropped (without `leave`) keeps its seat,
    /// away, for a `join` with its resume token; zero turns resuming off.
    public var resumeWindow: Duration
    /// Most messages kept for an away participant; older ones are dropped first.
    public var maxQueuedWhileAway: Int

    public init(
        maxPeersPerRoom: Int = 8,
        maxMessageBytes: Int = 65_536,
        maxSDPBytes: Int = 32_768,
        maxSDPLines: Int = 1_000,
        maxLobbyPerRoom: Int = 20,
        iceServers: [ICEServer] = [],
        requireToken: Bool = false,
        requirePrecreatedRooms: Bool = false,
        maxChatCharacters: Int = 2_000,
        chatHistoryLimit: Int = 50,
        chatRetention: Duration = .seconds(24 * 3_600),
        resumeWindow: Duration = .seconds(30),
        maxQueuedWhileAway: Int = 100
    ) {
        self.maxPeersPerRoom = maxPeersPerRoom
        self.maxMessageBytes = maxMessageBytes
        self.maxSDPBytes = maxSDPBytes
        self.maxSDPLines = maxSDPLines
        self.maxLobbyPerRoom = maxLobbyPerRoom
        self.iceServers = iceServers
        self.requireToken = requireToken
        self.requirePrecreatedRooms = requirePrecreatedRooms
        self.maxChatCharacters = maxChatCharacters
        self.chatHistoryLimit = chatHistoryLimit
        self.chatRetention = chatRetention
        self.resumeWindow = resumeWindow
        self.maxQueuedWhileAway = maxQueuedWhileAway
    }

    /// `chatRetention` in milliseconds, the unit of chat timestamps.
    public var chatRetentionMilliseconds: Int64 {
        let (seconds, attoseconds) = chatRetention.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}

/// What an administrator sees of a room.
public struct RoomSummary: Hashable, Sendable {
    public var name: RoomName
    public var settings: RoomSettings
    public var participants: [PeerInfo]
    public var waiting: [PeerInfo]
}

/// All connections and rooms of one server: the signalling state machine.
///
/// Pure: the IO shell reports events (a connection opened, a message arrived, a deadline
/// passed, a connection closed, an administrator acted) and runs the actions returned, in
/// order. No clock, no sockets, no database: room settings and recent chat come in at start
/// and leave as `.saveRoom` and `.saveChat` actions; the time comes with each event (`now`,
/// wall-clock milliseconds since the Unix epoch); peer ids come from the random number
/// generator passed in.
///
/// The generator is held as an existential rather than a generic parameter: it is used only
/// when someone joins, while a generic hub ran every message's dictionary lookups through
/// unspecialized generic code in the server, which is another module (about a fifth of the
/// hub's time under relay load, in a profile).
public struct SignalingHub {
    private enum ConnectionState: Hashable {
        case awaitingJoin
        case waiting(RoomName, PeerID)
        case joined(RoomName, PeerID)
        /// The server has decided to close it; whatever still arrives is ignored.
        case closing
    }

    public let configuration: SignalingConfiguration
    private var random: any RandomNumberGenerator
    private var connections: [ConnectionID: ConnectionState] = [:]
    /// Rooms with someone in them or waiting.
    private var rooms: [RoomName: Room] = [:]
    /// Every room the server knows, with its persisted settings.
    private var knownRooms: [RoomName: RoomSettings]
    /// Each room's recent chat (while chat retention is on), whether anyone is in it or not.
    private var chatHistory: [RoomName: ChatHistory]
    private var peerIDsInUse: Set<PeerID> = []
    /// A participant whose connection closed without `leave`: still a member of its room (it
    /// counts toward the room's size, others see nothing), with what was sent to it meanwhile.
    private struct AwaySeat {
        var room: RoomName
        var peer: PeerID
        var queue: [ServerMessage] = []
    }
    /// Away participants, by the connection that closed (connection ids are never reused).
    private var away: [ConnectionID: AwaySeat] = [:]
    /// The current resume token of each participant's connection (open or away), both ways.
    private var connectionOfToken: [ResumeToken: ConnectionID] = [:]
    private var tokenOfConnection: [ConnectionID: ResumeToken] = [:]
    /// Set once the server starts shutting down; no one can join after that.
    public private(set) var isDraining = false

    /// - Parameter chatHistory: each room's stored chat, oldest first (from the store).
    public init(
        configuration: SignalingConfiguration, knownRooms: [RoomName: RoomSettings] = [:],
        chatHistory: [RoomName: [ChatMessage]] = [:], random: any RandomNumberGenerator = SystemRandomNumberGenerator()
    ) {
        self.configuration = configuration
        self.knownRooms = knownRooms
        self.chatHistory =
            configuration.chatRetention > .zero
            ? chatHistory.mapValues { ChatHistory(Array($0.suffix(max(configuration.chatHistoryLimit, 0)))) } : [:]
        self.random = random
    }

    /// Rooms with at least one participant or person waiting.
    public var roomCount: Int { rooms.count }
    /// Open connections, joined or not.
    public var connectionCount: Int { connections.count }
    /// Participants in rooms (not counting lobbies), away ones included.
    public var participantCount: Int { rooms.values.reduce(0) { $0 + $1.members.count } }
    /// Participants whose connection dropped and who may still resume.
    public var awayCount: Int { away.count }
    /// Draining, and no participant is connected any more: the server may stop. Away seats
    /// do not hold it up. Whoever would resume one could only hear that the server is going,
    /// and the drain would wait out their resume windows for nothing.
    public var isDrained: Bool {
        isDraining && !rooms.values.contains { room in room.members.contains { away[$0.connection] == nil } }
    }

    public func room(_ name: RoomName) -> Room? { rooms[name] }

    public func settings(of name: RoomName) -> RoomSettings? { knownRooms[name] }

    /// The chat a newcomer to `name` would be handed at `now`.
    public func recentChat(in name: RoomName, now: Int64) -> [ChatMessage] {
        guard configuration.chatRetention > .zero else { return [] }
        return chatHistory[name]?.recent(
            since: now - configuration.chatRetentionMilliseconds, limit: configuration.chatHistoryLimit) ?? []
    }

    /// The role of the participant on `connection`, if it is in a room.
    public func role(of connection: ConnectionID) -> Role? {
        guard case .joined(let roomName, let peer) = connections[connection] else { return nil }
        return rooms[roomName]?.member(peer)?.info.role
    }

    /// Every known room, busiest first, for the admin API.
    public func summaries() -> [RoomSummary] {
        knownRooms.map { name, settings in
            RoomSummary(
                name: name, settings: settings,
                participants: rooms[name]?.members.map(\.info) ?? [],
                waiting: rooms[name]?.lobby.map(\.info) ?? [])
        }
        .sorted { ($0.participants.count, $1.name.rawValue) > ($1.participants.count, $0.name.rawValue) }
    }

    // MARK: Connection events

    public mutating func connectionOpened(_ connection: ConnectionID) {
        connections[connection] = .awaitingJoin
    }

    /// A text frame arrived (tests and tools; the server decodes outside its lock and calls
    /// `messageReceived`).
    public mutating func textReceived(_ text: String, from connection: ConnectionID, now: Int64 = 0)
        -> [SignalingAction]
    {
        decodedMessageReceived(
            ClientMessage.decode(text, maxBytes: configuration.maxMessageBytes), from: connection, now: now)
    }

    /// A text frame arrived and was decoded already.
    ///
    /// - Parameter now: wall-clock time in milliseconds since the Unix epoch: chat timestamps
    ///   and the age of the history handed to newcomers.
    public mutating func decodedMessageReceived(
        _ decoded: Result<ClientMessage, SignalingError>, from connection: ConnectionID,
        credentials: JoinCredentials = JoinCredentials(), now: Int64 = 0
    ) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        switch decoded {
        case .success(let message):
            return routed(handle(message, from: connection, in: state, credentials: credentials, now: now))
        case .failure(let error):
            return [.send(.error(error), to: connection)]
        }
    }

    /// A binary frame arrived; the protocol has none.
    public mutating func binaryReceived(from connection: ConnectionID) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        let error = SignalingError(.binaryNotSupported, "send JSON in text frames; binary frames are not used")
        return [.send(.error(error), to: connection)]
    }

    public mutating func messageReceived(
        _ message: ClientMessage, from connection: ConnectionID, credentials: JoinCredentials = JoinCredentials(),
        now: Int64 = 0
    ) -> [SignalingAction] {
        guard let state = connections[connection] else { return [] }
        return routed(handle(message, from: connection, in: state, credentials: credentials, now: now))
    }

    /// `message` from `connection`, whose state is `state`.
    private mutating func handle(
        _ message: ClientMessage, from connection: ConnectionID, in state: ConnectionState,
        credentials: JoinCredentials, now: Int64
    ) -> [SignalingAction] {
        switch (state, message) {
        case (.closing, _):
            return []
        case (.awaitingJoin, .join(let roomName, let name, let audio, let video, _, _, let resume)):
            return join(
                roomName, as: name, audio: audio, video: video, resume: resume, credentials: credentials,
                from: connection, now: now)
        case (.awaitingJoin, _):
            return [.send(.error(SignalingError(.notJoined, "send \"join\" first")), to: connection)]
        case (.waiting, .leave):
            return removeFromRoom(connection) + [.close(connection, code: .normal)]
        case (.waiting(let roomName, _), _):
            return [
                .send(
                    .error(SignalingError(.notJoined, "still waiting to be admitted to '\(roomName)'")), to: connection)
            ]
        case (.joined(let roomName, _), .join):
            let error = SignalingError(.alreadyJoined, "this connection is already in room '\(roomName)'")
            return [.send(.error(error), to: connection)]
        case (.joined(let roomName, let peer), .signal(let target, let data)):
            return relaySignal(in: roomName, from: peer, connection: connection, to: target, data: data)
        case (.joined(let roomName, let peer), .media(let audio, let video)):
            return rooms[roomName]?.changeMedia(of: peer, audio: audio, video: video) ?? []
        case (.joined(let roomName, let peer), .hand(let raised)):
            return rooms[roomName]?.setHand(of: peer, raised: raised) ?? []
        case (.joined(let roomName, let peer), .reaction(let reaction)):
            return rooms[roomName]?.react(from: peer, with: reaction) ?? []
        case (.joined(let roomName, let peer), .chat(let id, let text)):
            return chat(id, text, in: roomName, from: peer, connection: connection, now: now)
        case (.joined, .leave):
            return removeFromRoom(connection) + [.close(connection, code: .normal)]
        case (.joined(let roomName, let peer), .moderate(let action)):
            return moderate(action, in: roomName, by: peer, connection: connection, now: now)
        case (.joined, .setPassword):
            // The shell turns this into `.moderate(.setPassword(hash:))` after hashing; a
            // plain-text password never reaches the hub's state.
            return []
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
        return routed(
            closeAndRemove(connection) + [
                .close(
                    connection, code: .policyViolation,
                    finalError: SignalingError(.slowConsumer, "too many messages waiting for this connection"))
            ])
    }

    /// The client kept sending far over its message rate: it is closed.
    public mutating func rateLimitExceeded(by connection: ConnectionID) -> [SignalingAction] {
        guard let state = connections[connection], state != .closing else { return [] }
        return routed(
            closeAndRemove(connection) + [
                .close(
                    connection, code: .policyViolation,
                    finalError: SignalingError(.rateLimited, "too many messages; the connection is closed"))
            ])
    }

    /// The connection is gone (closed by either side, or failed). A participant that did not
    /// `leave` (a dropped network, missed pings) is kept away for the resume window, unseen
    /// by the others; anyone else leaves at once. While draining, every departure is final.
    public mutating func connectionClosed(_ connection: ConnectionID) -> [SignalingAction] {
        // Reported once per connection; a second report must not end an away seat.
        guard connections[connection] != nil else { return [] }
        if case .joined(let roomName, let peer) = connections[connection], configuration.resumeWindow > .zero,
            !isDraining, tokenOfConnection[connection] != nil
        {
            connections[connection] = nil
            away[connection] = AwaySeat(room: roomName, peer: peer)
            return [.scheduleAwayExpiry(connection, after: configuration.resumeWindow)]
        }
        let actions = removeFromRoom(connection)
        connections[connection] = nil
        return routed(actions)
    }

    /// The resume window of the participant whose connection `connection` closed has passed:
    /// unless it resumed meanwhile, it leaves (`peer-left`, moderator hand-over) as if it had
    /// just gone.
    public mutating func resumeWindowPassed(for connection: ConnectionID) -> [SignalingAction] {
        guard away[connection] != nil else { return [] }
        return routed(removeFromRoom(connection))
    }

    /// The server will shut down within `seconds`: joined clients are told so that calls can
    /// wind down, and nobody new may join.
    public mutating func drainStarted(within seconds: Int) -> [SignalingAction] {
        isDraining = true
        let joined = connections.compactMap { connection, state -> ConnectionID? in
            if case .joined = state { connection } else { nil }
        }
        // Away participants find it among their queued messages if they come back.
        let everyone = joined + away.keys.sorted { $0.rawValue < $1.rawValue }
        return everyone.isEmpty ? [] : routed([.broadcast(.draining(seconds: seconds), to: everyone)])
    }

    /// The server is shutting down: every connection is closed with "going away".
    public mutating func shutdown() -> [SignalingAction] {
        var actions: [SignalingAction] = []
        for (connection, state) in connections where state != .closing {
            connections[connection] = .closing
            actions.append(.close(connection, code: .goingAway))
        }
        // Nobody can come back to a server that is gone, and nobody is in its rooms any more:
        // someone joining after this must not be shown the departed as peers.
        away = [:]
        connectionOfToken = [:]
        tokenOfConnection = [:]
        peerIDsInUse = []
        rooms = [:]
        return actions
    }

    /// Chat older than the retention period is forgotten (the shell deletes it from the
    /// store at the same time).
    public mutating func chatRetentionPassed(now: Int64) {
        let cutoff = now - configuration.chatRetentionMilliseconds
        for name in Array(chatHistory.keys) {
            chatHistory[name]?.removeOlder(than: cutoff)
            if chatHistory[name]?.messages.isEmpty == true {
                chatHistory[name] = nil
            }
        }
    }

    // MARK: Administrator events (trusted: they come from the token-protected admin API)

    /// Creates `name` with `settings`; false if it exists already.
    public mutating func adminCreateRoom(_ name: RoomName, settings: RoomSettings) -> (Bool, [SignalingAction]) {
        guard knownRooms[name] == nil else { return (false, []) }
        knownRooms[name] = settings
        return (true, [.saveRoom(name, settings)])
    }

    /// Ends the call in `name` for everyone; nil if nobody is there.
    public mutating func adminCloseRoom(_ name: RoomName) -> [SignalingAction]? {
        guard rooms[name] != nil else { return nil }
        return routed(endRoom(name))
    }

    /// Removes `peer` from `room`; nil if it is not there.
    public mutating func adminKick(_ peer: PeerID, from name: RoomName) -> [SignalingAction]? {
        guard let member = rooms[name]?.member(peer) else { return nil }
        return routed(kick(member.connection))
    }

    // MARK: Steps

    private mutating func join(
        _ roomName: RoomName, as requestedName: DisplayName?, audio: Bool, video: Bool, resume: String?,
        credentials: JoinCredentials, from connection: ConnectionID, now: Int64
    ) -> [SignalingAction] {
        func refuse(_ code: SignalingError.Code, _ message: String) -> [SignalingAction] {
            [.send(.error(SignalingError(code, message)), to: connection)]
        }
        guard !credentials.rateLimited else {
            return refuse(.tooManyAttempts, "too many joins or wrong passwords from your address; wait a minute")
        }
        // The seat was granted already: its token is the proof, whatever else the join says
        // (a join token may have expired meanwhile). Calls go on while draining, so a seat
        // can be taken back then too.
        if let resume, let token = ResumeToken(resume), let seat = connectionOfToken[token],
            let resumed = resumeSeat(of: seat, in: roomName, on: connection, now: now)
        {
            return resumed
        }
        guard !isDraining else { return refuse(.serverDraining, "the server is shutting down; try again in a minute") }
        var tokenRole: Role?
        var name = requestedName
        switch credentials.token {
        case .invalid(let reason):
            return refuse(.invalidToken, "the join token was refused: \(reason)")
        case .valid(let token):
            guard token.room == roomName else {
                return refuse(.invalidToken, "the join token is for another room")
            }
            tokenRole = token.role
            name = token.name
        case .absent:
            if configuration.requireToken {
                return refuse(.tokenRequired, "this server only admits people with a join token from the inviting site")
            }
        }
        guard let name else {
            return refuse(.invalidName, "a name is needed (the join token has none either)")
        }
        let isNew = knownRooms[roomName] == nil
        if isNew && configuration.requirePrecreatedRooms && tokenRole == nil {
            return refuse(.unknownRoom, "there is no room '\(roomName)' on this server")
        }
        let settings = knownRooms[roomName] ?? RoomSettings()
        if credentials.passwordMatches == false {
            return refuse(.wrongPassword, "that is not the room's password")
        }
        let trusted = tokenRole != nil || credentials.passwordMatches == true
        if settings.passwordHash != nil && !trusted && !settings.locked {
            return refuse(.passwordRequired, "room '\(roomName)' has a password")
        }

        var room = rooms[roomName] ?? Room(name: roomName, settings: settings)
        let id = newPeerID()
        let role = tokenRole ?? (room.hasModerator ? .participant : .moderator)
        let isViewer = role == .viewer
        let newcomer = PeerInfo(id: id, name: name, audio: audio && !isViewer, video: video && !isViewer, role: role)
        let entered: Result<[SignalingAction], SignalingError>
        if settings.locked && !trusted && !room.hasModerator {
            // Waiting would be forever: nobody is there to admit anyone.
            return refuse(.roomLocked, "room '\(roomName)' is locked and no moderator is in it to let you in")
        } else if settings.locked && !trusted {
            entered = room.enterLobby(
                PeerInfo(id: id, name: name, audio: audio, video: video, role: .participant),
                connection: connection, maxWaiting: configuration.maxLobbyPerRoom)
        } else {
            entered = room.admit(
                newcomer, connection: connection,
                maxMembers: configuration.maxPeersPerRoom, iceServers: configuration.iceServers,
                welcome: Welcome(chat: recentChat(in: roomName, now: now), resume: issueResumeToken(for: connection)))
        }
        switch entered {
        case .success(let actions):
            rooms[roomName] = room
            connections[connection] = settings.locked && !trusted ? .waiting(roomName, id) : .joined(roomName, id)
            peerIDsInUse.insert(id)
            guard isNew else { return actions }
            knownRooms[roomName] = settings
            return [.saveRoom(roomName, settings)] + actions
        case .failure(let error):
            revokeResumeToken(of: connection)
            return [.send(.error(error), to: connection)]
        }
    }

    /// A fresh single-use resume token for the participant on `connection`, replacing its
    /// previous one; nil while resuming is off.
    private mutating func issueResumeToken(for connection: ConnectionID) -> ResumeToken? {
        guard configuration.resumeWindow > .zero else { return nil }
        revokeResumeToken(of: connection)
        var token = ResumeToken.random(using: &random)
        while connectionOfToken[token] != nil {
            token = ResumeToken.random(using: &random)
        }
        connectionOfToken[token] = connection
        tokenOfConnection[connection] = token
        return token
    }

    private mutating func revokeResumeToken(of connection: ConnectionID) {
        if let token = tokenOfConnection.removeValue(forKey: connection) {
            connectionOfToken[token] = nil
        }
    }

    /// `connection` presents the resume token of the participant last on `previous`. If that
    /// participant is in `roomName` and away (or still seemingly connected: a half-open socket
    /// the pings have not caught yet, which the newer connection supersedes), it takes the
    /// seat back: `joined` with the current roster, history and a new token, then whatever
    /// was queued for it. Nobody else is told anything. nil: the token does not fit, and the
    /// join goes on as a new one.
    private mutating func resumeSeat(
        of previous: ConnectionID, in roomName: RoomName, on connection: ConnectionID, now: Int64
    ) -> [SignalingAction]? {
        let peer: PeerID
        var queued: [ServerMessage] = []
        var supersede: [SignalingAction] = []
        if let seat = away[previous] {
            guard seat.room == roomName else { return nil }
            away[previous] = nil
            (peer, queued) = (seat.peer, seat.queue)
        } else if case .joined(roomName, let seated) = connections[previous], previous != connection {
            connections[previous] = .closing
            peer = seated
            supersede = [.close(previous, code: .normal)]
        } else {
            return nil
        }
        guard var room = rooms[roomName], let member = room.reconnect(peer, to: connection) else { return nil }
        rooms[roomName] = room
        revokeResumeToken(of: previous)
        connections[connection] = .joined(roomName, peer)
        let welcome = Welcome(
            chat: recentChat(in: roomName, now: now), resume: issueResumeToken(for: connection), resumed: true)
        let joined = ServerMessage.joined(
            you: member.info, room: roomName, peers: room.members.map(\.info).filter { $0.id != peer },
            iceServers: configuration.iceServers, settings: room.settings, welcome: welcome)
        return [.send(joined, to: connection)] + queued.map { .send($0, to: connection) } + supersede
    }

    /// Messages for away participants are kept for them (the newest `maxQueuedWhileAway`);
    /// anything else for a connection that is gone (an away participant that has just been
    /// removed) is dropped.
    private mutating func routed(_ actions: [SignalingAction]) -> [SignalingAction] {
        func isGone(_ connection: ConnectionID) -> Bool { connections[connection] == nil }
        guard
            actions.contains(where: { action in
                switch action {
                case .send(_, let connection), .close(let connection, _, _): isGone(connection)
                case .broadcast(_, let targets): targets.contains(where: isGone)
                case .saveRoom, .saveChat, .scheduleAwayExpiry: false
                }
            })
        else { return actions }
        var result: [SignalingAction] = []
        for action in actions {
            switch action {
            case .send(let message, let connection) where isGone(connection):
                keep(message, for: connection)
            case .broadcast(let message, let targets) where targets.contains(where: isGone):
                for target in targets where isGone(target) {
                    keep(message, for: target)
                }
                let open = targets.filter { !isGone($0) }
                if !open.isEmpty { result.append(.broadcast(message, to: open)) }
            case .close(let connection, _, _) where isGone(connection):
                continue
            default:
                result.append(action)
            }
        }
        return result
    }

    private mutating func keep(_ message: ServerMessage, for connection: ConnectionID) {
        guard var seat = away[connection] else { return }
        away[connection] = nil  // no copy of the queue while it is changed
        seat.queue.append(message)
        if seat.queue.count > configuration.maxQueuedWhileAway {
            seat.queue.removeFirst(seat.queue.count - configuration.maxQueuedWhileAway)
        }
        away[connection] = seat
    }

    private mutating func newPeerID() -> PeerID {
        var id = PeerID.random(using: &random)
        while peerIDsInUse.contains(id) {
            id = PeerID.random(using: &random)
        }
        return id
    }

    /// `peer` says `text` to its room: everyone gets it with the server's timestamp and the
    /// sender's current name, and while retention is on it is kept for newcomers and stored.
    private mutating func chat(
        _ id: ChatMessageID, _ text: String, in roomName: RoomName, from peer: PeerID, connection: ConnectionID,
        now: Int64
    ) -> [SignalingAction] {
        guard let room = rooms[roomName], let sender = room.member(peer) else { return [] }
        let limit = configuration.maxChatCharacters
        guard let text = ChatMessage.validText(text, maxCharacters: limit) else {
            let error = SignalingError(
                .invalidChat,
                "chat messages are 1–\(limit) characters after trimming, without control characters but newline and tab"
            )
            return [.send(.error(error), to: connection)]
        }
        let message = ChatMessage(id: id, from: peer, name: sender.info.name, text: text, sentAt: now)
        var actions = room.relayChat(message)
        if configuration.chatRetention > .zero,
            chatHistory[roomName, default: ChatHistory()].append(message, limit: configuration.chatHistoryLimit)
        {
            actions.append(.saveChat(roomName, message))
        }
        return actions
    }

    /// Changes nothing, but is `mutating` all the same: called on the hub from `handle`, a
    /// non-mutating method got a copy of the whole hub (every table retained) for each signal.
    private mutating func relaySignal(
        in roomName: RoomName, from peer: PeerID, connection: ConnectionID, to target: PeerID, data: SignalData
    ) -> [SignalingAction] {
        if let sdp = data.sdp {
            if let error = checkSDP(sdp, fromViewer: rooms[roomName]?.member(peer)?.info.role == .viewer) {
                return [.send(.error(error), to: connection)]
            }
        }
        // Called through the optional chain rather than on a copy of the room taken first:
        // copying a room retains every one of its members' strings, for every signal.
        guard let action = rooms[roomName]?.relaySignal(from: peer, connection: connection, to: target, data: data)
        else { return [] }
        return [action]
    }

    /// Bounds an SDP's size, and keeps viewers receive-only: a viewer's SDP may not offer or
    /// accept to send audio or video (RFC 8866 section 6.7 direction attributes).
    private func checkSDP(_ sdp: String, fromViewer: Bool) -> SignalingError? {
        let bytes = sdp.utf8.count
        guard bytes <= configuration.maxSDPBytes else {
            return SignalingError(.sdpTooLarge, "the SDP is \(bytes) bytes; the limit is \(configuration.maxSDPBytes)")
        }
        var lines = 0
        var sends = false
        for line in sdp.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lines += 1
            if fromViewer {
                let text = String(decoding: line, as: UTF8.self).trimmingSuffix("\r")
                sends = sends || text == "a=sendrecv" || text == "a=sendonly"
            }
        }
        guard lines <= configuration.maxSDPLines else {
            return SignalingError(.sdpTooLarge, "the SDP has \(lines) lines; the limit is \(configuration.maxSDPLines)")
        }
        if sends {
            return SignalingError(.viewerCannotSend, "viewers only receive: mark audio and video recvonly or inactive")
        }
        return nil
    }

    private mutating func moderate(
        _ action: ModerationAction, in roomName: RoomName, by actor: PeerID, connection: ConnectionID, now: Int64
    ) -> [SignalingAction] {
        guard var room = rooms[roomName], let role = room.member(actor)?.info.role else { return [] }
        func error(_ code: SignalingError.Code, _ message: String) -> [SignalingAction] {
            [.send(.error(SignalingError(code, message)), to: connection)]
        }
        guard action.isAllowed(for: role) else {
            return error(.notAllowed, "only moderators can use \"\(action.type)\"")
        }
        func otherMember(_ target: PeerID) -> Room.Member? {
            target == actor ? nil : room.member(target)
        }
        let noSuchPeer = error(.unknownPeer, "no such other participant in this room")
        switch action {
        case .kick(let target):
            guard let member = otherMember(target) else { return noSuchPeer }
            return kick(member.connection)
        case .requestMute(let target):
            guard let member = otherMember(target) else { return noSuchPeer }
            return [.send(.muteRequest(from: actor), to: member.connection)]
        case .muteAll:
            let others = room.members.filter { $0.info.id != actor }.map(\.connection)
            return others.isEmpty ? [] : [.broadcast(.muteRequest(from: actor), to: others)]
        case .lock, .unlock, .setPassword:
            var settings = room.settings
            switch action {
            case .lock: settings.locked = true
            case .unlock: settings.locked = false
            case .setPassword(let hash): settings.passwordHash = hash
            default: break
            }
            var actions = [SignalingAction.saveRoom(roomName, settings)] + room.changeSettings(settings)
            knownRooms[roomName] = settings
            if !settings.locked {
                // Unlocking lets in everyone who was waiting, as far as there is room.
                for waiting in room.lobby {
                    let welcome = Welcome(
                        chat: recentChat(in: roomName, now: now), resume: issueResumeToken(for: waiting.connection))
                    guard
                        case .success(let admitted) = room.admitFromLobby(
                            waiting.info.id, maxMembers: configuration.maxPeersPerRoom,
                            iceServers: configuration.iceServers, welcome: welcome)
                    else {
                        revokeResumeToken(of: waiting.connection)
                        break
                    }
                    connections[waiting.connection] = .joined(roomName, waiting.info.id)
                    actions += admitted
                }
            }
            rooms[roomName] = room
            return actions
        case .endRoom:
            return endRoom(roomName)
        case .grantModerator(let target) where room.member(target)?.info.role == .viewer:
            // Viewers joined with a token that keeps them receive-only; moderator rights would
            // be a way around it.
            return error(.notAllowed, "viewers cannot be made moderators")
        case .grantModerator(let target), .revokeModerator(let target):
            let newRole: Role = if case .grantModerator = action { .moderator } else { .participant }
            guard let actions = room.setRole(of: target, to: newRole) else { return noSuchPeer }
            rooms[roomName] = room
            return actions
        case .admit(let target):
            guard let waiting = room.waiting(target) else {
                return error(.unknownPeer, "nobody '\(target.rawValue.prefix(64))' is waiting")
            }
            let welcome = Welcome(
                chat: recentChat(in: roomName, now: now), resume: issueResumeToken(for: waiting.connection))
            switch room.admitFromLobby(
                target, maxMembers: configuration.maxPeersPerRoom, iceServers: configuration.iceServers,
                welcome: welcome)
            {
            case .success(let actions):
                connections[waiting.connection] = .joined(roomName, target)
                rooms[roomName] = room
                return actions
            case .failure(let failure):
                revokeResumeToken(of: waiting.connection)
                return [.send(.error(failure), to: connection)]
            }
        case .deny(let target):
            guard let waiting = room.waiting(target) else {
                return error(.unknownPeer, "nobody '\(target.rawValue.prefix(64))' is waiting")
            }
            let actions = removeFromRoom(waiting.connection)
            return actions + [
                .close(
                    waiting.connection, code: .lobbyDenied,
                    finalError: SignalingError(.lobbyDenied, "a moderator did not let you in"))
            ]
        }
    }

    private mutating func kick(_ connection: ConnectionID) -> [SignalingAction] {
        removeFromRoom(connection) + [
            .close(
                connection, code: .kicked, finalError: SignalingError(.kicked, "a moderator removed you from the call"))
        ]
    }

    /// Everyone in the room and its lobby is told and disconnected; the room's settings stay.
    private mutating func endRoom(_ roomName: RoomName) -> [SignalingAction] {
        guard let room = rooms.removeValue(forKey: roomName) else { return [] }
        let ended = SignalingError(.roomEnded, "a moderator ended the call")
        var actions: [SignalingAction] = []
        for person in room.members + room.lobby {
            peerIDsInUse.remove(person.info.id)
            revokeResumeToken(of: person.connection)
            // Someone away has no connection to close; the seat is simply gone.
            guard away.removeValue(forKey: person.connection) == nil else { continue }
            connections[person.connection] = .closing
            actions.append(.close(person.connection, code: .roomEnded, finalError: ended))
        }
        return actions
    }

    /// Takes `connection` out of its room or lobby, if it is in one, and marks it closing.
    /// Like ``removeFromRoom(_:)``, and a connection that was not in a room yet (awaiting its
    /// join) is marked closing too, so that nothing it sends afterwards is answered.
    private mutating func closeAndRemove(_ connection: ConnectionID) -> [SignalingAction] {
        let actions = removeFromRoom(connection)
        if away[connection] == nil { connections[connection] = .closing }
        return actions
    }

    private mutating func removeFromRoom(_ connection: ConnectionID) -> [SignalingAction] {
        let roomName: RoomName
        let peer: PeerID
        if let seat = away.removeValue(forKey: connection) {
            (roomName, peer) = (seat.room, seat.peer)
        } else {
            switch connections[connection] {
            case .joined(let name, let id), .waiting(let name, let id): (roomName, peer) = (name, id)
            default: return []
            }
            connections[connection] = .closing
        }
        revokeResumeToken(of: connection)
        peerIDsInUse.remove(peer)
        guard var room = rooms[roomName] else { return [] }
        let actions = room.remove(peer)
        rooms[roomName] = room.isIdle ? nil : room
        return actions
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}
