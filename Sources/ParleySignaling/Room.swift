/// The participants of one room and the rules of talking within it.
///
/// A state machine: each method is an event (someone joined, sent a signal, changed media,
/// left) and returns what must be sent to whom. Everything a room sends goes to its own
/// members only, which is what keeps rooms apart.
public struct Room: Sendable {
    public struct Member: Hashable, Sendable {
        public var info: PeerInfo
        public var connection: ConnectionID
    }

    public let name: RoomName
    /// In the order they joined; `joined.peers` lists them in this order, and the protocol's
    /// "earlier joiner is polite" rule depends on it.
    public private(set) var members: [Member] = []

    public init(name: RoomName) {
        self.name = name
    }

    public var isEmpty: Bool { members.isEmpty }

    public func member(_ id: PeerID) -> Member? {
        members.first { $0.info.id == id }
    }

    /// `newcomer` entered the room: it learns who is here, the others learn of it.
    mutating func admit(
        _ newcomer: PeerInfo, connection: ConnectionID, maxMembers: Int, iceServers: [ICEServer]
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
                .joined(id: newcomer.id, room: name, peers: others.map(\.info), iceServers: iceServers),
                to: connection)
        ]
        if !others.isEmpty {
            actions.append(.broadcast(.peerJoined(newcomer), to: others.map(\.connection)))
        }
        return .success(actions)
    }

    /// `sender` asked to relay `data` to `target`, which must be another member of this room.
    func relaySignal(
        from sender: PeerID, connection senderConnection: ConnectionID, to target: PeerID, data: JSONValue
    ) -> SignalingAction {
        guard target != sender, let recipient = member(target) else {
            // Deliberately the same answer for "gone", "never existed" and "in another room",
            // so that ids cannot be probed across rooms.
            return .send(
                .error(
                    SignalingError(.unknownPeer, "no other participant '\(target.rawValue.prefix(64))' in this room")),
                to: senderConnection)
        }
        return .send(.signal(from: sender, data: data), to: recipient.connection)
    }

    /// `peer` turned its microphone or camera on or off.
    mutating func changeMedia(of peer: PeerID, audio: Bool, video: Bool) -> [SignalingAction] {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return [] }
        members[index].info.audio = audio
        members[index].info.video = video
        let others = members.filter { $0.info.id != peer }.map(\.connection)
        return others.isEmpty ? [] : [.broadcast(.peerMedia(id: peer, audio: audio, video: video), to: others)]
    }

    /// `peer` left, by `leave` or by losing its connection.
    mutating func remove(_ peer: PeerID) -> [SignalingAction] {
        guard let index = members.firstIndex(where: { $0.info.id == peer }) else { return [] }
        members.remove(at: index)
        return members.isEmpty ? [] : [.broadcast(.peerLeft(peer), to: members.map(\.connection))]
    }
}
