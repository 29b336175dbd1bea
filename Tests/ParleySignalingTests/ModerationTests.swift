import ParleySignaling
import Testing

/// Who may do what: every moderation action tried by every role, and by a moderator of another
/// room, against a target in room "r".
@Suite struct ModerationPermissionTests {
    enum Actor: String, CaseIterable {
        case moderator, participant, viewer, moderatorOfAnotherRoom
    }

    /// Room "r": moderator (c1), participant (c2), viewer (c3), target participant (c4), and
    /// someone waiting in the lobby (c5) after the room is locked. Room "s": its moderator (c6).
    private func setUp() -> (hub: TestHub, target: PeerID, waiting: PeerID) {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r", name: "Mod")
        _ = hub.openAndJoin(2, room: "r", name: "Part")
        hub.connectionOpened(ConnectionID(3))
        let viewerToken = JoinToken(room: RoomName("r")!, name: DisplayName("View")!, role: .viewer)
        _ = hub.messageReceived(
            .join(room: RoomName("r")!, name: nil, audio: false, video: false), from: ConnectionID(3),
            credentials: JoinCredentials(token: .valid(viewerToken)))
        let target = hub.openAndJoin(4, room: "r", name: "Target")
        _ = hub.messageReceived(.moderate(.lock), from: ConnectionID(1))
        hub.connectionOpened(ConnectionID(5))
        let knock = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Knocker")!, audio: true, video: true), from: ConnectionID(5))
        guard case .send(.lobby, _) = knock.first, case .broadcast(.knock(let waiting), _) = knock.last else {
            fatalError("expected a knock, got \(knock)")
        }
        _ = hub.openAndJoin(6, room: "s", name: "Other mod")
        return (hub, target, waiting.id)
    }

    private func connection(of actor: Actor) -> ConnectionID {
        switch actor {
        case .moderator: ConnectionID(1)
        case .participant: ConnectionID(2)
        case .viewer: ConnectionID(3)
        case .moderatorOfAnotherRoom: ConnectionID(6)
        }
    }

    private func actions(target: PeerID, waiting: PeerID) -> [ModerationAction] {
        [
            .kick(target), .requestMute(target), .muteAll, .lock, .unlock, .endRoom, .grantModerator(target),
            .revokeModerator(target), .setPassword(hash: "$scrypt$x"), .admit(waiting), .deny(waiting),
        ]
    }

    /// Only the room's own moderator may moderate it; everyone else gets `not-allowed` (or, for
    /// another room's moderator, nothing that touches room "r").
    @Test(arguments: Actor.allCases)
    func onlyTheRoomsModeratorMayModerate(_ actor: Actor) {
        let (_, target, waiting) = setUp()
        for action in actions(target: target, waiting: waiting) {
            var (hub, _, _) = setUp()
            let before = hub.room(RoomName("r")!)
            let result = hub.messageReceived(.moderate(action), from: connection(of: actor))
            let after = hub.room(RoomName("r")!)
            let touchedRoomR =
                deliveries(result).contains { [1, 2, 3, 4, 5].contains($0.0.rawValue) }
                || result.contains { if case .close(let c, _, _) = $0 { c.rawValue <= 5 } else { false } }
            switch actor {
            case .moderator:
                #expect(errorCodes(result, to: 1).isEmpty, "\(action) by the moderator was refused: \(result)")
                #expect(!result.isEmpty, "\(action) by the moderator did nothing")
            case .participant, .viewer:
                #expect(errorCodes(result, to: connection(of: actor).rawValue) == [.notAllowed], "\(action)")
                #expect(result.count == 1)
                #expect(before?.members == after?.members && before?.lobby == after?.lobby)
                #expect(before?.settings == after?.settings)
            case .moderatorOfAnotherRoom:
                #expect(!touchedRoomR, "\(action) by room s's moderator reached room r: \(result)")
                #expect(before?.members == after?.members && before?.lobby == after?.lobby)
                #expect(before?.settings == after?.settings)
            }
        }
    }

    /// The effects a moderator's actions have on the others.
    @Test func moderatorActionsTakeEffect() {
        var (hub, target, waiting) = setUp()
        let kick = hub.messageReceived(.moderate(.kick(target)), from: ConnectionID(1))
        #expect(
            kick.contains { if case .close(ConnectionID(4), .kicked, let e?) = $0 { e.code == .kicked } else { false } }
        )
        #expect(hub.room(RoomName("r")!)?.member(target) == nil)

        let admit = hub.messageReceived(.moderate(.admit(waiting)), from: ConnectionID(1))
        #expect(admit.contains { if case .send(.joined, ConnectionID(5)) = $0 { true } else { false } })
        #expect(admit.contains { if case .broadcast(.knockEnded(waiting), _) = $0 { true } else { false } })

        let mute = hub.messageReceived(.moderate(.requestMute(waiting)), from: ConnectionID(1))
        #expect(mute.count == 1)
        guard case .send(.muteRequest, ConnectionID(5)) = mute.first else {
            Issue.record("expected a mute request, got \(mute)")
            return
        }

        let grant = hub.messageReceived(.moderate(.grantModerator(waiting)), from: ConnectionID(1))
        #expect(grant.contains { if case .broadcast(.peerRole(waiting, .moderator), _) = $0 { true } else { false } })
        #expect(hub.role(of: ConnectionID(5)) == .moderator)

        let end = hub.messageReceived(.moderate(.endRoom), from: ConnectionID(5))
        let closed = end.compactMap { if case .close(let c, .roomEnded, _) = $0 { c.rawValue } else { nil } }
        #expect(Set(closed) == [1, 2, 3, 5])
        #expect(hub.room(RoomName("r")!) == nil)
        #expect(hub.settings(of: RoomName("r")!)?.locked == true, "ending the call keeps the room's settings")
    }
}

@Suite struct LobbyAndPasswordTests {
    private let room = RoomName("r")!

    private func join(
        _ hub: inout TestHub, _ connection: UInt64, name: String = "Lin", credentials: JoinCredentials = .init()
    ) -> [SignalingAction] {
        hub.connectionOpened(ConnectionID(connection))
        return hub.messageReceived(
            .join(room: room, name: DisplayName(name)!, audio: true, video: true), from: ConnectionID(connection),
            credentials: credentials)
    }

    /// The first person in a room is its moderator; the next are participants.
    @Test func firstJoinerModerates() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        #expect(hub.role(of: ConnectionID(1)) == .moderator)
        #expect(hub.role(of: ConnectionID(2)) == .participant)
    }

    /// In a locked room a newcomer waits; denial closes with 4003; the right password skips it.
    @Test func lockedRoomLobby() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let lock = hub.messageReceived(.moderate(.lock), from: ConnectionID(1))
        #expect(lock.contains(.saveRoom(room, RoomSettings(locked: true))))
        #expect(lock.contains { if case .broadcast(.roomState(let s), _) = $0 { s.locked } else { false } })

        let waiting = join(&hub, 2)
        guard case .send(.lobby, ConnectionID(2)) = waiting.first,
            case .broadcast(.knock(let knocker), [ConnectionID(1)]) = waiting.last
        else {
            Issue.record("expected lobby and knock, got \(waiting)")
            return
        }
        #expect(
            errorCodes(hub.messageReceived(.signal(to: knocker.id, data: .object([:])), from: ConnectionID(2)), to: 2)
                == [.notJoined])
        let deny = hub.messageReceived(.moderate(.deny(knocker.id)), from: ConnectionID(1))
        #expect(deny.contains { if case .close(ConnectionID(2), .lobbyDenied, _) = $0 { true } else { false } })

        let withPassword = join(&hub, 3, credentials: JoinCredentials(passwordMatches: true))
        #expect(withPassword.contains { if case .send(.joined, ConnectionID(3)) = $0 { true } else { false } })

        // Unlocking lets everyone waiting in.
        _ = join(&hub, 4)
        let unlock = hub.messageReceived(.moderate(.unlock), from: ConnectionID(1))
        #expect(unlock.contains { if case .send(.joined, ConnectionID(4)) = $0 { true } else { false } })
    }

    /// Whoever inherits the moderator role also learns who is waiting; a locked room with no
    /// moderator refuses newcomers instead of leaving them waiting forever.
    @Test func inheritedModeratorSeesTheLobbyAndUnattendedLocksRefuse() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let heir = hub.openAndJoin(2, room: "r")
        _ = hub.messageReceived(.moderate(.lock), from: ConnectionID(1))
        guard case .broadcast(.knock(let waiting), _) = join(&hub, 3).last else {
            Issue.record("expected a knock")
            return
        }
        let left = hub.messageReceived(.leave, from: ConnectionID(1))
        #expect(left.contains(.broadcast(.peerRole(id: heir, role: .moderator), to: [ConnectionID(2)])))
        #expect(left.contains(.send(.knock(waiting), to: ConnectionID(2))))

        _ = hub.messageReceived(.moderate(.endRoom), from: ConnectionID(2))
        #expect(errorCodes(join(&hub, 4), to: 4) == [.roomLocked])
        let withPassword = join(&hub, 5, credentials: JoinCredentials(passwordMatches: true))
        #expect(withPassword.contains { if case .send(.joined, ConnectionID(5)) = $0 { true } else { false } })
    }

    /// A password-protected room refuses without the password and with a wrong one.
    @Test func passwordProtectedRoom() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.messageReceived(.moderate(.setPassword(hash: "$scrypt$hash")), from: ConnectionID(1))
        #expect(hub.settings(of: room)?.passwordHash == "$scrypt$hash")
        #expect(errorCodes(join(&hub, 2), to: 2) == [.passwordRequired])
        #expect(
            errorCodes(join(&hub, 3, credentials: JoinCredentials(passwordMatches: false)), to: 3) == [.wrongPassword])
        #expect(errorCodes(join(&hub, 4, credentials: JoinCredentials(rateLimited: true)), to: 4) == [.tooManyAttempts])
        let right = join(&hub, 5, credentials: JoinCredentials(passwordMatches: true))
        #expect(right.contains { if case .send(.joined, ConnectionID(5)) = $0 { true } else { false } })
    }

    /// Tokens: valid ones set name and role; invalid, other-room and missing (when required) ones are refused.
    @Test func joinTokens() {
        var hub = SignalingHub(
            configuration: SignalingConfiguration(requireToken: true), random: SeededGenerator(state: 3))
        hub.connectionOpened(ConnectionID(1))
        let missing = hub.messageReceived(
            .join(room: room, name: DisplayName("A")!, audio: true, video: true), from: ConnectionID(1))
        #expect(errorCodes(missing, to: 1) == [.tokenRequired])
        let invalid = hub.messageReceived(
            .join(room: room, name: nil, audio: true, video: true), from: ConnectionID(1),
            credentials: JoinCredentials(token: .invalid("it has expired")))
        #expect(errorCodes(invalid, to: 1) == [.invalidToken])
        let otherRoom = JoinToken(room: RoomName("elsewhere")!, name: DisplayName("A")!, role: .moderator)
        let wrongRoom = hub.messageReceived(
            .join(room: room, name: nil, audio: true, video: true), from: ConnectionID(1),
            credentials: JoinCredentials(token: .valid(otherRoom)))
        #expect(errorCodes(wrongRoom, to: 1) == [.invalidToken])
        let good = JoinToken(room: room, name: DisplayName("From token")!, role: .viewer)
        let joined = hub.messageReceived(
            .join(room: room, name: DisplayName("Typed")!, audio: true, video: true), from: ConnectionID(1),
            credentials: JoinCredentials(token: .valid(good)))
        guard case .send(.joined(let you, _, _, _, _, _), _) = joined.last else {
            Issue.record("expected joined, got \(joined)")
            return
        }
        #expect(you.name.rawValue == "From token")
        #expect(you.role == .viewer)
        #expect(!you.audio && !you.video)
    }

    /// Rooms must exist beforehand when the server says so.
    @Test func precreatedRoomsOnly() {
        var hub = SignalingHub(
            configuration: SignalingConfiguration(requirePrecreatedRooms: true), random: SeededGenerator(state: 3))
        #expect(errorCodes(join(&hub, 1), to: 1) == [.unknownRoom])
        let (created, actions) = hub.adminCreateRoom(room, settings: RoomSettings())
        #expect(created && actions == [.saveRoom(room, RoomSettings())])
        #expect(join(&hub, 2).contains { if case .send(.joined, _) = $0 { true } else { false } })
    }
}

@Suite struct SDPLimitTests {
    private func offer(_ sdp: String) -> ClientMessage {
        .signal(
            to: PeerID("x"), data: .object(["description": .object(["type": .string("offer"), "sdp": .string(sdp)])]))
    }

    /// A viewer may not send an SDP that sends media; a receive-only one goes through.
    @Test func viewersOnlyReceive() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        hub.connectionOpened(ConnectionID(2))
        let token = JoinToken(room: RoomName("r")!, name: DisplayName("V")!, role: .viewer)
        _ = hub.messageReceived(
            .join(room: RoomName("r")!, name: nil, audio: true, video: true), from: ConnectionID(2),
            credentials: JoinCredentials(token: .valid(token)))
        let sending = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n"
        #expect(errorCodes(hub.messageReceived(offer(sending), from: ConnectionID(2)), to: 2) == [.viewerCannotSend])
        let receiving = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n"
        #expect(errorCodes(hub.messageReceived(offer(receiving), from: ConnectionID(2)), to: 2) == [.unknownPeer])
        #expect(errorCodes(hub.messageReceived(offer(sending), from: ConnectionID(1)), to: 1) == [.unknownPeer])
    }

    /// Oversized SDPs, by bytes or by lines, are refused with the limit in the message.
    @Test func sdpSizeLimits() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let manyLines = String(repeating: "a=x\r\n", count: 1_001)
        guard case .send(.error(let lines), _) = hub.messageReceived(offer(manyLines), from: ConnectionID(1)).first
        else {
            Issue.record("expected an error")
            return
        }
        #expect(lines.code == .sdpTooLarge && lines.message.contains("1000"))
        let big = String(repeating: "x", count: 40_000)
        #expect(errorCodes(hub.messageReceived(offer(big), from: ConnectionID(1)), to: 1) == [.sdpTooLarge])
    }
}

@Suite struct TokenBucketTests {
    /// A burst up to capacity, then one per refill interval.
    @Test func burstThenRate() {
        var bucket = TokenBucket(capacity: 3, ratePerSecond: 2)
        let start = Duration.seconds(100)
        let burst = (0..<4).map { _ in bucket.take(now: start) }
        #expect(burst == [true, true, true, false])
        let tooSoon = bucket.take(now: start + .milliseconds(400))
        #expect(!tooSoon)
        let refilled = bucket.take(now: start + .milliseconds(600))
        #expect(refilled)
        #expect(bucket.isFull(now: start + .seconds(10)))
    }
}
