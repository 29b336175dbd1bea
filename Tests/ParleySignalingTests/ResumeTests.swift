import Foundation
import ParleySignaling
import Testing

@Suite struct ResumeTests {
    private let c1 = ConnectionID(1)
    private let c2 = ConnectionID(2)
    private let c3 = ConnectionID(3)
    private let window = Duration.seconds(30)

    private func hub(maxPeers: Int = 8, maxQueued: Int = 100) -> TestHub {
        SignalingHub(
            configuration: SignalingConfiguration(
                maxPeersPerRoom: maxPeers, resumeWindow: window, maxQueuedWhileAway: maxQueued),
            random: SeededGenerator(state: 42))
    }

    /// Opens `connection` and sends `join` (with `resume`, if given); returns every action.
    private func join(
        _ hub: inout TestHub, _ connection: UInt64, room: String = "r", name: String = "Someone",
        resume: ResumeToken? = nil, audio: Bool = true
    ) -> [SignalingAction] {
        hub.connectionOpened(ConnectionID(connection))
        return hub.messageReceived(
            .join(
                room: RoomName(room)!, name: DisplayName(name)!, audio: audio, video: true,
                resume: resume?.rawValue),
            from: ConnectionID(connection))
    }

    /// The `joined` among `actions`: who, which room's roster, and the welcome.
    private func joined(_ actions: [SignalingAction]) -> (you: PeerInfo, peers: [PeerInfo], welcome: Welcome)? {
        for case .send(.joined(let you, _, let peers, _, _, let welcome), _) in actions {
            return (you, peers, welcome)
        }
        return nil
    }

    /// Joins and returns the participant's id and resume token.
    private func seat(_ hub: inout TestHub, _ connection: UInt64, room: String = "r", name: String = "Someone")
        -> (PeerID, ResumeToken)
    {
        let actions = join(&hub, connection, room: room, name: name)
        guard let joined = joined(actions), let token = joined.welcome.resume else {
            fatalError("join failed: \(actions)")
        }
        return (joined.you.id, token)
    }

    /// A dropped connection leaves its seat away for the window, unseen by the others; a join
    /// with its token takes it back: same id, role, hand and media, `resumed`, the current
    /// roster, a new token, and still nobody else is told anything.
    @Test func resumeWithinTheWindowKeepsTheSeatUnseen() {
        var hub = hub()
        let (ada, adaToken) = seat(&hub, 1, name: "Ada")
        let (bob, _) = seat(&hub, 2, name: "Bob")
        _ = hub.messageReceived(.hand(raised: true), from: c1)
        _ = hub.messageReceived(.media(audio: false, video: true), from: c1)
        #expect(hub.connectionClosed(c1) == [.scheduleAwayExpiry(c1, after: window)])
        #expect(hub.awayCount == 1)
        #expect(hub.participantCount == 2)
        #expect(hub.connectionCount == 1)

        let actions = join(&hub, 3, name: "Ignored", resume: adaToken, audio: true)
        guard let back = joined(actions) else {
            Issue.record("no joined in \(actions)")
            return
        }
        #expect(
            back.you
                == PeerInfo(id: ada, name: DisplayName("Ada")!, audio: false, video: true, role: .moderator, hand: true)
        )
        #expect(back.welcome.resumed)
        #expect(back.welcome.resume != nil && back.welcome.resume != adaToken)
        #expect(back.peers.map(\.id) == [bob])
        #expect(deliveries(actions).allSatisfy { $0.0 == c3 })
        #expect(!actions.contains { if case .saveRoom = $0 { true } else { false } })
        #expect(hub.awayCount == 0)
        // Expiry of the old connection's window is now harmless.
        #expect(hub.resumeWindowPassed(for: c1).isEmpty)
        // The seat lives on the new connection.
        let data = SignalData.object(["candidate": .null])
        #expect(
            hub.messageReceived(.signal(to: ada, data: data), from: c2) == [
                .send(.signal(from: bob, data: data), to: c3)
            ])
    }

    /// What was sent to an away participant is delivered right after the resumed `joined`,
    /// in order.
    @Test func queuedMessagesFollowTheResumedJoinedInOrder() {
        var hub = hub()
        let (_, adaToken) = seat(&hub, 1, name: "Ada")
        let (bob, _) = seat(&hub, 2, name: "Bob")
        _ = hub.connectionClosed(c1)
        let (ada, _) = (hub.room(RoomName("r")!)!.members[0].info.id, ())
        let offer = SignalData.object(["description": .object(["type": .string("offer"), "sdp": .string("v=0")])])
        #expect(hub.messageReceived(.signal(to: ada, data: offer), from: c2).isEmpty)
        #expect(
            hub.messageReceived(.media(audio: false, video: false), from: c2).isEmpty,
            "Ada is away, so nobody is there to tell")
        _ = hub.messageReceived(.reaction(.clap), from: c2)
        let actions = join(&hub, 3, resume: adaToken)
        let sent = deliveries(actions).map(\.1)
        #expect(sent.count == 4)
        #expect(sent.first?.type == "joined")
        #expect(
            Array(sent.dropFirst()) == [
                .signal(from: bob, data: offer), .peerMedia(id: bob, audio: false, video: false),
                .reaction(from: bob, emoji: .clap),
            ])
    }

    /// The queue for an away participant is bounded: the oldest messages are dropped.
    @Test func queueIsBoundedDroppingTheOldest() {
        var hub = hub(maxQueued: 3)
        let (ada, adaToken) = seat(&hub, 1, name: "Ada")
        let (bob, _) = seat(&hub, 2, name: "Bob")
        _ = hub.connectionClosed(c1)
        for n in 0..<10 {
            _ = hub.messageReceived(.signal(to: ada, data: JSONValue.integer(Int64(n)).wrapped), from: c2)
        }
        let sent = deliveries(join(&hub, 3, resume: adaToken)).map(\.1).dropFirst()
        #expect(Array(sent) == (7..<10).map { .signal(from: bob, data: JSONValue.integer(Int64($0)).wrapped) })
    }

    /// A token works once; an unknown or malformed one, or one for another room, makes a
    /// normal new join (new id, not resumed) and is no error.
    @Test func usedUnknownAndForeignTokensMakeANewJoin() {
        var hub = hub()
        let (ada, adaToken) = seat(&hub, 1, name: "Ada")
        _ = seat(&hub, 2)
        _ = hub.connectionClosed(c1)
        let resumed = joined(join(&hub, 3, resume: adaToken))
        #expect(resumed?.you.id == ada && resumed?.welcome.resumed == true)
        _ = hub.connectionClosed(c3)

        // The first token was used up by the resume.
        let again = join(&hub, 4, resume: adaToken)
        #expect(joined(again)?.welcome.resumed == false)
        #expect(joined(again)?.you.id != ada)
        #expect(errorCodes(again, to: 4).isEmpty)

        let unknown = joined(join(&hub, 5, resume: ResumeToken(String(repeating: "0", count: 32))))
        #expect(unknown?.welcome.resumed == false && unknown?.you.id != ada)
        hub.connectionOpened(ConnectionID(6))
        let malformed = hub.textReceived(
            #"{"type":"join","room":"r","name":"M","resume":"nope"}"#, from: ConnectionID(6))
        #expect(joined(malformed)?.welcome.resumed == false)

        // Ada's current token, but for another room: a new participant there; her seat in
        // "r" stays away.
        let current = resumed!.welcome.resume!
        let foreign = joined(join(&hub, 7, room: "elsewhere", resume: current))
        #expect(foreign?.welcome.resumed == false && foreign?.you.id != ada)
        #expect(hub.room(RoomName("r")!)?.member(ada) != nil)
        #expect(joined(join(&hub, 8, resume: current))?.you.id == ada)
    }

    /// When the window passes without a resume, the others get `peer-left` (and the earliest
    /// participant takes over as moderator), and the token no longer works.
    @Test func windowPassingMakesThePeerLeave() {
        var hub = hub()
        let (ada, adaToken) = seat(&hub, 1, name: "Ada")
        let (bob, _) = seat(&hub, 2, name: "Bob")
        _ = hub.connectionClosed(c1)
        #expect(
            hub.resumeWindowPassed(for: c1) == [
                .broadcast(.peerLeft(ada), to: [c2]), .broadcast(.peerRole(id: bob, role: .moderator), to: [c2]),
            ])
        #expect(hub.participantCount == 1)
        #expect(hub.resumeWindowPassed(for: c1).isEmpty)
        #expect(joined(join(&hub, 3, resume: adaToken))?.welcome.resumed == false)
    }

    /// `leave` and kicks are final: no away seat, `peer-left` at once, and the token is void.
    @Test func leaveAndKickAllowNoResume() {
        var hub = hub()
        let (ada, _) = seat(&hub, 1, name: "Ada")
        let (bob, bobToken) = seat(&hub, 2, name: "Bob")
        let (cy, cyToken) = seat(&hub, 3, name: "Cy")
        _ = hub.messageReceived(.leave, from: c3)
        #expect(hub.connectionClosed(c3).isEmpty)
        let kicked = hub.messageReceived(.moderate(.kick(bob)), from: c1)
        #expect(kicked.contains(.broadcast(.peerLeft(bob), to: [c1])))
        #expect(hub.connectionClosed(c2).isEmpty)
        #expect(hub.awayCount == 0)
        for (connection, token, old) in [(UInt64(4), bobToken, bob), (5, cyToken, cy)] {
            let back = joined(join(&hub, connection, resume: token))
            #expect(back?.welcome.resumed == false && back?.you.id != old)
        }
        #expect(hub.room(RoomName("r")!)?.member(ada) != nil)
    }

    /// A moderator can kick someone who is away: the others see `peer-left`, nothing is sent
    /// to the gone connection, and the seat cannot be taken back.
    @Test func kickingSomeoneAway() {
        var hub = hub()
        _ = seat(&hub, 1, name: "Ada")
        let (bob, bobToken) = seat(&hub, 2, name: "Bob")
        _ = hub.connectionClosed(c2)
        #expect(hub.messageReceived(.moderate(.kick(bob)), from: c1) == [.broadcast(.peerLeft(bob), to: [c1])])
        #expect(hub.awayCount == 0)
        #expect(joined(join(&hub, 3, resume: bobToken))?.welcome.resumed == false)
    }

    /// Ending the room removes away seats too.
    @Test func endRoomRemovesAwaySeats() {
        var hub = hub()
        _ = seat(&hub, 1, name: "Ada")
        let (_, bobToken) = seat(&hub, 2, name: "Bob")
        _ = hub.connectionClosed(c2)
        let ended = hub.messageReceived(.moderate(.endRoom), from: c1)
        #expect(
            ended == [
                .close(c1, code: .roomEnded, finalError: SignalingError(.roomEnded, "a moderator ended the call"))
            ])
        #expect(hub.awayCount == 0 && hub.roomCount == 0)
        #expect(joined(join(&hub, 3, resume: bobToken))?.welcome.resumed == false)
    }

    /// Viewers resume as viewers.
    @Test func viewersResumeAsViewers() {
        var hub = hub()
        _ = seat(&hub, 1)
        hub.connectionOpened(c2)
        let token = JoinToken(room: RoomName("r")!, name: DisplayName("Vi")!, role: .viewer)
        let first = hub.messageReceived(
            .join(room: RoomName("r")!, name: nil, audio: false, video: false), from: c2,
            credentials: JoinCredentials(token: .valid(token)))
        let viewer = joined(first)!
        _ = hub.connectionClosed(c2)
        let back = joined(join(&hub, 3, resume: viewer.welcome.resume))
        #expect(back?.you == viewer.you)
        #expect(back?.welcome.resumed == true)
    }

    /// An away participant still takes a place in the room.
    @Test func awayParticipantsCountTowardTheRoomSize() {
        var hub = hub(maxPeers: 2)
        _ = seat(&hub, 1)
        let (_, token) = seat(&hub, 2)
        _ = hub.connectionClosed(c2)
        #expect(errorCodes(join(&hub, 3), to: 3) == [.roomFull])
        #expect(joined(join(&hub, 4, resume: token))?.welcome.resumed == true)
    }

    /// A resume while the old connection still seems open (a half-open socket the pings have
    /// not caught yet) takes the seat over and closes the old connection, unseen by the others.
    @Test func resumeSupersedesAHalfOpenConnection() {
        var hub = hub()
        let (ada, adaToken) = seat(&hub, 1, name: "Ada")
        _ = seat(&hub, 2, name: "Bob")
        let actions = join(&hub, 3, resume: adaToken)
        #expect(joined(actions)?.you.id == ada && joined(actions)?.welcome.resumed == true)
        #expect(actions.last == .close(c1, code: .normal))
        #expect(deliveries(actions).allSatisfy { $0.0 == c3 })
        #expect(hub.connectionClosed(c1).isEmpty)
        #expect(hub.participantCount == 2)
    }

    /// With the window at zero nobody is away: `joined` carries no token and a closed
    /// connection leaves at once. While draining, departures are final too.
    @Test func resumeOffAndDrainingMeanImmediateDeparture() {
        var off = makeHub()
        let ada = off.openAndJoin(1, room: "r")
        _ = off.openAndJoin(2, room: "r")
        #expect(off.connectionClosed(c1).first == .broadcast(.peerLeft(ada), to: [c2]))
        var hubDraining = hub()
        let first = join(&hubDraining, 1)
        #expect(joined(first)?.welcome.resume != nil)
        #expect(joined(join(&off, 3))?.welcome.resume == nil)
        let (bob, _) = seat(&hubDraining, 2)
        _ = hubDraining.drainStarted(within: 30)
        #expect(hubDraining.connectionClosed(c2) == [.broadcast(.peerLeft(bob), to: [c1])])
    }

    /// The drain is over once nobody connected is left: a seat kept for a dropped connection
    /// does not hold it up.
    @Test func awaySeatsDoNotHoldTheDrainUp() {
        var hub = hub()
        _ = seat(&hub, 1)
        _ = seat(&hub, 2)
        _ = hub.connectionClosed(c1)
        #expect(hub.awayCount == 1)
        _ = hub.drainStarted(within: 30)
        #expect(!hub.isDrained)
        _ = hub.messageReceived(.leave, from: c2)
        #expect(hub.isDrained)
        #expect(hub.participantCount == 1 && hub.awayCount == 1)
    }

    /// The wire shape of `joined.resume`, `joined.resumed` and `join.resume`.
    @Test func encodesAndDecodesTheResumeFields() throws {
        let token = ResumeToken(String(repeating: "ab", count: 16))!
        let text = ServerMessage.joined(
            you: PeerInfo(id: PeerID("a1"), name: DisplayName("Ada")!, audio: true, video: true), room: RoomName("r")!,
            peers: [], iceServers: [], settings: RoomSettings(), welcome: Welcome(resume: token, resumed: true)
        ).jsonText()
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
        #expect(object["resume"] as? String == token.rawValue)
        #expect(object["resumed"] as? Bool == true)
        #expect(
            try ClientMessage.decode(#"{"type":"join","room":"r","name":"A","resume":"x"}"#, maxBytes: 200).get()
                == .join(room: RoomName("r")!, name: DisplayName("A")!, audio: true, video: true, resume: "x"))
        #expect("\(token)".contains(token.rawValue) == false)
        var random = SeededGenerator(state: 1)
        #expect(ResumeToken(ResumeToken.random(using: &random).rawValue) != nil)
    }
}

extension JSONValue {
    /// A signal payload holding this value.
    fileprivate var wrapped: SignalData { .object(["n": self]) }
}
