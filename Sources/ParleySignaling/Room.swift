/// The participants of one room, its lobby, and the rules of talking within it.
///
/// A state machine: each method is an event (someone joined, sent a signal, changed media,
/// left, was admitted) and returns what must be sent to whom. Everything a room sends goes to
/// its own members and lobby only, which is what keeps rooms apart.
public struct Room: Sendable {
    public struct Member: Hashable, Sendable {
        public var info: PeerInfo
        public var connection: ConnectionID
    }

    public let name: RoomName
    /// In the order they joined; `joined.peers` lists them in this order, and the protocol's
    /// "earlier joiner is polite" rule depends on it.
    public private(set) var members: [Member] = []
    /// People waiting to be admitted, in the order they knocked.
    public private(set) var lobby: [Member] = []
    public var settings: RoomSettings

    public init(name: RoomName, settings: RoomSettings) {
        self.name = name
        self.settings = settings
    }

    /// No members and nobody waiting: the room can be forgotten until someone comes back.
    public var isIdle: Bool { members.isEmpty && lobby.isEmpty }

    public var hasModerator: Bool { members.contains { $0.info.role == .moderator } }

    public func member(_ id: PeerID) -> Member? {
        members.first { $0.info.id == id }
    }

    public func waiting(_ id: PeerID) -> Member? {
        lobby.first { $0.info.id == id }
    }

    var moderatorConnections: [ConnectionID] {
        members.filter { $0.info.role == .moderator }.map(\.connection)
    }

    // MARK: Entering and leaving

    /// `newcomer` enters the room: it learns who is here, the others learn of it.
    mutating func admit(
        _ newcomer: PeerInfo, connection: ConnectionID, maxMembers: Int, iceServers: [ICEServer],
        welcome: Welcome = Welcome()
    ) -> Result<[SignalingAction], SignalingError> {
        guard members.count < maxMembers else {
            return .failure(
                SignalingError(
                    .roomFull, "room '\(name)' already has \(members.count) participants, the most it allows"))
        }
        let others = members
        members.append(Member(info: newcomer, connection: connection))
        var actions: [SignalingAction] = [
            .send(
                .joined(
                    you: newcomer, room: name, peers: others.map(\.info), iceServers: iceServers, settings: settings,
                    welcome: welcome),
                to: connection)
        ]
        if !others.isEmpty {
            actions.append(.broadcast(.peerJoined(newcomer), to: others.map(\.connection)))
        }
        if newcomer.role == .moderator {
            // A new moderator learns who is already waiting.
            actions += lobby.map { .send(.knock($0.info), to: connection) }
        }
        return .success(actions)
    }

    /// `newcomer` waits in the lobby; moderators are told.
    mutating func enterLobby(_ newcomer: PeerInfo, connection: ConnectionID, maxWaiting: Int) -> Result<
        [SignalingAction], SignalingError
    > {
        guard lobby.count < maxWaiting else {
            return .failure(SignalingError(.lobbyFull, "\(lobby.count) people are already waiting to enter '\(name)'"))
        }
        lobby.append(Member(info: newcomer, connection: connection))
        var actions: [SignalingAction] = [.send(.lobby(room: name), to: connection)]
        if !moderatorConnections.isEmpty {
            actions.append(.broadcast(.knock(newcomer), to: moderatorConnections))
        }
        return .success(actions)
    }

    /// A waiting person is let in (by a moderator, or because the room was unlocked).
    mutating func admitFromLobby(
        _ id: PeerID, maxMembers: Int, iceServers: [ICEServer], welcome: Welcome = Welcome()
    ) -> Result<[SignalingAction], SignalingError> {
        guard let index = lobby.firstIndex(where: { $0.info.id == id }) else {
            return .failure(SignalingError(.unknownPeer, "nobody '\(id.rawValue.prefix(64))' is waiting"))
        }
        var waiting = lobby[index]
        waiting.info.role = hasModerator ? .participant : .moderator
        switch admit(
            waiting.info, connection: waiting.connection, maxMembers: maxMembers, iceServers: iceServers,
            welcome: welcome)
        {
        case .success(let actions):
            lobby.remove(at: index)
            return .success(actions + endKnock(id))
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Takes `peer` out of the room or its lobby, by `leave`, a lost connection, a kick or a
    /// denial. If the last moderator leaves, the earliest remaining participant takes over, so
    /// that a room can always be run.
    mutating func remove(_ peer: PeerID) -> [SignalingAction] {
        if let index = lobby.firstIndex(where: { $0.info.id == peer }) {
            lobby.remove(at: index)
            return endKnock(peer)
        }
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return [] }
        let leaving = members.remove(at: index)
        guard !members.isEmpty else { return [] }
        var actions: [SignalingAction] = [.broadcast(.peerLeft(peer), to: members.map(\.connection))]
        if leaving.info.role == .moderator, !hasModerator,
            let heir = members.first(where: { $0.info.role == .participant })
        {
            // setRole also hands the heir the knocks of anyone waiting.
            actions += setRole(of: heir.info.id, to: .moderator) ?? []
        }
        return actions
    }

    /// `peer` takes its seat back on a new connection (a resumed session); nobody is told.
    mutating func reconnect(_ peer: PeerID, to connection: ConnectionID) -> Member? {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return nil }
        members[index].connection = connection
        return members[index]
    }

    // MARK: Talking

    /// `sender` asked to relay `data` to `target`, which must be another member of this room.
    func relaySignal(
        from sender: PeerID, connection senderConnection: ConnectionID, to target: PeerID, data: SignalData
    ) -> SignalingAction {
        // Found by index, not through `member(_:)`: a copied `Member` retains its strings.
        guard target != sender, let index = members.firstIndex(where: { $0.info.id == target }) else {
            // Deliberately the same answer for "gone", "never existed" and "in another room",
            // so that ids cannot be probed across rooms.
            return .send(
                .error(
                    SignalingError(.unknownPeer, "no other participant '\(target.rawValue.prefix(64))' in this room")),
                to: senderConnection)
        }
        return .send(.signal(from: sender, data: data), to: members[index].connection)
    }

    /// `peer` turned its microphone or camera on or off. A viewer's are always off.
    mutating func changeMedia(of peer: PeerID, audio: Bool, video: Bool) -> [SignalingAction] {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return [] }
        let isViewer = members[index].info.role == .viewer
        members[index].info.audio = audio && !isViewer
        members[index].info.video = video && !isViewer
        let info = members[index].info
        let others = members.filter { $0.info.id != peer }.map(\.connection)
        return others.isEmpty
            ? [] : [.broadcast(.peerMedia(id: peer, audio: info.audio, video: info.video), to: others)]
    }

    /// `peer` raised or lowered its hand: everyone hears of it, the sender included, so
    /// that every client shows the state the server holds.
    mutating func setHand(of peer: PeerID, raised: Bool) -> [SignalingAction] {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return [] }
        members[index].info.hand = raised
        return [.broadcast(.peerHand(id: peer, raised: raised), to: members.map(\.connection))]
    }

    /// `peer` shows a reaction to everyone, itself included. Nothing is remembered.
    func react(from peer: PeerID, with reaction: Reaction) -> [SignalingAction] {
        [.broadcast(.reaction(from: peer, emoji: reaction), to: members.map(\.connection))]
    }

    /// Everyone in the room, the sender included, gets `message`: the sender learns the
    /// server's timestamp and sees its message in the same order as everyone else.
    func relayChat(_ message: ChatMessage) -> [SignalingAction] {
        [.broadcast(.chat(message), to: members.map(\.connection))]
    }

    // MARK: Moderation

    mutating func setRole(of peer: PeerID, to role: Role) -> [SignalingAction]? {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return nil }
        members[index].info.role = role
        var actions = roleChanged(peer, to: role)
        if role == .moderator {
            actions += lobby.map { .send(.knock($0.info), to: members[index].connection) }
        }
        return actions
    }

    /// Everyone in the room and its lobby learns the new lock and password state.
    mutating func changeSettings(_ newSettings: RoomSettings) -> [SignalingAction] {
        settings = newSettings
        return members.isEmpty ? [] : [.broadcast(.roomState(settings), to: members.map(\.connection))]
    }

    private func roleChanged(_ peer: PeerID, to role: Role) -> [SignalingAction] {
        [.broadcast(.peerRole(id: peer, role: role), to: members.map(\.connection))]
    }

    private func endKnock(_ peer: PeerID) -> [SignalingAction] {
        moderatorConnections.isEmpty ? [] : [.broadcast(.knockEnded(peer), to: moderatorConnections)]
    }
}
