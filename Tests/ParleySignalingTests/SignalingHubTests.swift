import ParleySignaling
import Testing

@Suite struct SignalingHubTests {
    private let c1 = ConnectionID(1)
    private let c2 = ConnectionID(2)
    private let c3 = ConnectionID(3)

    /// The first participant learns its id, an empty roster and the configured ICE servers.
    @Test func firstJoinerGetsEmptyRosterAndIceServers() {
        let stun = ICEServer(urls: ["stun:stun.example.org:3478"])
        var hub = makeHub(iceServers: [stun])
        hub.connectionOpened(c1)
        let actions = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Ada")!, audio: true, video: false), from: c1)
        guard case .send(.joined(let you, let room, let peers, let iceServers, _, _), to: c1) = actions.last else {
            Issue.record("expected joined, got \(actions)")
            return
        }
        let id = you.id
        #expect(actions.first == .saveRoom(room, RoomSettings()))
        #expect(actions.count == 2)
        #expect(room.rawValue == "r")
        #expect(peers.isEmpty)
        #expect(iceServers == [stun])
        #expect(
            hub.room(room)?.member(id)?.info
                == PeerInfo(id: id, name: DisplayName("Ada")!, audio: true, video: false, role: .moderator))
    }

    /// A newcomer gets everyone already there, in join order; they all get peer-joined.
    @Test func newcomerSeesRosterAndOthersSeeNewcomer() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "r", name: "Ada")
        let bob = hub.openAndJoin(2, room: "r", name: "Bob")
        hub.connectionOpened(c3)
        let actions = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Cy")!, audio: true, video: true), from: c3)
        guard case .send(.joined(let cyInfo, _, let peers, _, _, _), to: c3) = actions.first else {
            Issue.record("expected joined, got \(actions)")
            return
        }
        let cy = cyInfo.id
        #expect(peers.map(\.id) == [ada, bob])
        #expect(peers.map(\.name.rawValue) == ["Ada", "Bob"])
        #expect(peers.map(\.role) == [.moderator, .participant])
        let newcomer = PeerInfo(id: cy, name: DisplayName("Cy")!, audio: true, video: true, role: .participant)
        #expect(actions.dropFirst().elementsEqual([.broadcast(.peerJoined(newcomer), to: [c1, c2])]))
    }

    /// A signal goes to its target only, marked with the sender's id, data untouched.
    @Test func signalReachesOnlyItsTarget() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "r")
        let bob = hub.openAndJoin(2, room: "r")
        _ = hub.openAndJoin(3, room: "r")
        let data = SignalData.object(["description": .object(["type": .string("offer"), "sdp": .string("v=0")])])
        let actions = hub.messageReceived(.signal(to: bob, data: data), from: c1)
        #expect(actions == [.send(.signal(from: ada, data: data), to: c2)])
    }

    /// Signalling a peer of another room, an unknown id, or oneself gets `unknown-peer` and
    /// delivers nothing to anybody.
    @Test func signalOutsideTheRoomIsRefused() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "red")
        let eve = hub.openAndJoin(2, room: "blue")
        for target in [eve, PeerID("0000000000000000"), ada] {
            let actions = hub.messageReceived(.signal(to: target, data: .object([:])), from: c1)
            #expect(errorCodes(actions, to: 1) == [.unknownPeer])
            #expect(deliveries(actions).count == 1)
        }
    }

    /// Media changes reach the others, and later newcomers see the current state.
    @Test func mediaStateIsBroadcastAndRemembered() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        let actions = hub.messageReceived(.media(audio: false, video: true), from: c1)
        #expect(actions == [.broadcast(.peerMedia(id: ada, audio: false, video: true), to: [c2])])
        hub.connectionOpened(c3)
        let joined = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Cy")!, audio: true, video: true), from: c3)
        guard case .send(.joined(_, _, let peers, _, _, _), _) = joined.first else {
            Issue.record("expected joined")
            return
        }
        #expect(peers.first?.audio == false)
    }

    /// `leave` tells the others, closes normally, and anything sent afterwards is ignored.
    @Test func leaveTellsOthersAndClosesTheConnection() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "r")
        let bob = hub.openAndJoin(2, room: "r")
        #expect(
            hub.messageReceived(.leave, from: c1) == [
                .broadcast(.peerLeft(ada), to: [c2]),
                // The moderator left: the remaining participant takes over.
                .broadcast(.peerRole(id: bob, role: .moderator), to: [c2]),
                .close(c1, code: .normal),
            ])
        #expect(hub.messageReceived(.signal(to: bob, data: .object([:])), from: c1).isEmpty)
        #expect(hub.textReceived(#"{"type":"leave"}"#, from: c1).isEmpty)
        #expect(hub.connectionClosed(c1).isEmpty)
        #expect(hub.connectionCount == 1)
    }

    /// A dropped connection leaves its room; the last one out removes the room.
    @Test func closedConnectionLeavesAndEmptyRoomsVanish() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let bob = hub.openAndJoin(2, room: "r")
        #expect(hub.roomCount == 1)
        #expect(hub.connectionClosed(c2) == [.broadcast(.peerLeft(bob), to: [c1])])
        #expect(hub.connectionClosed(c1).isEmpty)
        #expect(hub.roomCount == 0)
        #expect(hub.connectionCount == 0)
    }

    /// A full room refuses the next person with `room-full`; once someone leaves, it fits.
    @Test func fullRoomRefusesUntilSomeoneLeaves() {
        var hub = makeHub(maxPeers: 2)
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        hub.connectionOpened(c3)
        let join = ClientMessage.join(room: RoomName("r")!, name: DisplayName("Cy")!, audio: true, video: true)
        let refused = hub.messageReceived(join, from: c3)
        #expect(errorCodes(refused, to: 3) == [.roomFull])
        #expect(deliveries(refused).count == 1)
        _ = hub.connectionClosed(c2)
        guard case .send(.joined, to: c3) = hub.messageReceived(join, from: c3).first else {
            Issue.record("join after a departure failed")
            return
        }
    }

    /// Before joining only `join` is allowed; after joining, a second `join` is refused.
    @Test func joinComesFirstAndOnlyOnce() {
        var hub = makeHub()
        hub.connectionOpened(c1)
        for message in [
            ClientMessage.signal(to: PeerID("x"), data: .object([:])), .media(audio: true, video: true), .leave,
        ] {
            #expect(errorCodes(hub.messageReceived(message, from: c1), to: 1) == [.notJoined])
        }
        _ = hub.openAndJoin(2, room: "r")
        let again = ClientMessage.join(room: RoomName("s")!, name: DisplayName("A")!, audio: true, video: true)
        #expect(errorCodes(hub.messageReceived(again, from: c2), to: 2) == [.alreadyJoined])
    }

    /// A failed join leaves the connection able to try again.
    @Test func failedJoinCanBeRetried() {
        var hub = makeHub()
        hub.connectionOpened(c1)
        #expect(
            errorCodes(hub.textReceived(#"{"type":"join","room":"no spaces","name":"A"}"#, from: c1), to: 1) == [
                .invalidRoom
            ])
        #expect(
            errorCodes(hub.textReceived(#"{"type":"join","room":"r","name":""}"#, from: c1), to: 1) == [.invalidName])
        guard case .send(.joined, to: c1) = hub.textReceived(#"{"type":"join","room":"r","name":"A"}"#, from: c1).last
        else {
            Issue.record("retry failed")
            return
        }
    }

    /// Text that does not decode gets an error, and the connection keeps working.
    @Test func badTextGetsErrorAndConnectionStaysUsable() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        #expect(errorCodes(hub.textReceived("{", from: c1), to: 1) == [.invalidJSON])
        #expect(errorCodes(hub.textReceived(#"{"type":"hug"}"#, from: c1), to: 1) == [.unknownType])
        let big = #"{"type":"media","audio":true,"video":true,"x":""# + String(repeating: "x", count: 70_000) + #""}"#
        #expect(errorCodes(hub.textReceived(big, from: c1), to: 1) == [.messageTooLarge])
        #expect(errorCodes(hub.binaryReceived(from: c1), to: 1) == [.binaryNotSupported])
        #expect(hub.textReceived(#"{"type":"media","audio":false,"video":false}"#, from: c1).count == 1)
    }

    /// A connection that has not joined by the deadline is told why and closed; one that has is left alone.
    @Test func joinDeadline() {
        var hub = makeHub()
        hub.connectionOpened(c1)
        _ = hub.openAndJoin(2, room: "r")
        #expect(
            hub.joinDeadlinePassed(for: c1) == [
                .close(
                    c1, code: .policyViolation,
                    finalError: SignalingError(.joinTimeout, "no \"join\" arrived in time after connecting"))
            ])
        #expect(hub.joinDeadlinePassed(for: c2).isEmpty)
        #expect(hub.textReceived(#"{"type":"join","room":"r","name":"Late"}"#, from: c1).isEmpty)
    }

    /// A client too slow to take its messages is dropped and the room is told it left.
    @Test func slowConsumerIsDropped() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let bob = hub.openAndJoin(2, room: "r")
        let actions = hub.deliveryFailed(to: c2)
        #expect(actions.first == .broadcast(.peerLeft(bob), to: [c1]))
        guard case .close(c2, .policyViolation, let error?) = actions.last else {
            Issue.record("expected a close, got \(actions)")
            return
        }
        #expect(error.code == .slowConsumer)
        #expect(hub.deliveryFailed(to: c2).isEmpty)
    }

    /// Shutdown closes every connection with "going away", once, and empties the rooms: someone
    /// who joins afterwards is not shown the departed as peers.
    @Test func shutdownClosesEveryone() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        hub.connectionOpened(c2)
        let actions = hub.shutdown()
        #expect(Set(actions) == [.close(c1, code: .goingAway), .close(c2, code: .goingAway)])
        #expect(hub.shutdown().isEmpty)
        #expect(hub.participantCount == 0)
        #expect(hub.room(RoomName("r")!) == nil)
        hub.connectionOpened(c3)
        let late = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Late")!, audio: true, video: true), from: c3)
        guard case .send(.joined(_, _, let peers, _, _, _), to: c3) = late.last else {
            Issue.record("expected joined, got \(late)")
            return
        }
        #expect(peers.isEmpty)
    }

    /// A connection closed before it joined (over its rate, or too slow) is answered no more and
    /// cannot join afterwards.
    @Test func closedUnjoinedConnectionIsNotAnsweredAnyMore() {
        var hub = makeHub()
        hub.connectionOpened(c1)
        hub.connectionOpened(c2)
        guard case .close(c1, .policyViolation, _) = hub.rateLimitExceeded(by: c1).last,
            case .close(c2, .policyViolation, _) = hub.deliveryFailed(to: c2).last
        else {
            Issue.record("expected both connections closed")
            return
        }
        for connection in [c1, c2] {
            #expect(hub.textReceived(#"{"type":"join","room":"r","name":"Late"}"#, from: connection).isEmpty)
            #expect(hub.binaryReceived(from: connection).isEmpty)
        }
        #expect(hub.participantCount == 0)
    }

    /// Peer ids stay unique even when the generator repeats itself.
    @Test func peerIDsAreUniqueDespiteRepeats() {
        struct Repeating: RandomNumberGenerator {
            var values: [UInt64] = [5, 5, 5, 9]
            mutating func next() -> UInt64 { values.isEmpty ? 1 : values.removeFirst() }
        }
        var hub = SignalingHub(configuration: SignalingConfiguration(), random: Repeating())
        let a = hub.openAndJoin(1, room: "r")
        let b = hub.openAndJoin(2, room: "r")
        #expect(a != b)
    }
}

@Suite struct RoomIsolationTests {
    /// Many rooms, random joins, leaves and signals, including signals aimed at other rooms'
    /// ids: no message ever reaches a connection outside the sender's room.
    @Test func messagesNeverCrossRooms() {
        var hub = makeHub(maxPeers: 4)
        var random = SeededGenerator(state: 1)
        var roomOf: [ConnectionID: String] = [:]
        var peerOf: [ConnectionID: PeerID] = [:]
        var next: UInt64 = 1
        for _ in 0..<5_000 {
            let roll = Int.random(in: 0..<10, using: &random)
            if roll < 3 || roomOf.isEmpty {
                let room = "room\(Int.random(in: 0..<6, using: &random))"
                let connection = ConnectionID(next)
                next += 1
                hub.connectionOpened(connection)
                let actions = hub.textReceived(
                    #"{"type":"join","room":"\#(room)","name":"P\#(next)"}"#, from: connection)
                if case .send(.joined(let you, _, _, _, _, _), _) = actions.first(where: {
                    if case .send(.joined, _) = $0 { true } else { false }
                }) {
                    roomOf[connection] = room
                    peerOf[connection] = you.id
                }
                check(actions, sender: connection)
            } else if roll < 4 {
                let connection = roomOf.keys.randomElement(using: &random)!
                check(hub.connectionClosed(connection), sender: connection)
                roomOf[connection] = nil
                peerOf[connection] = nil
            } else {
                let sender = roomOf.keys.randomElement(using: &random)!
                // Any peer at all, often one from another room.
                let target = peerOf.values.randomElement(using: &random)!
                let text = #"{"type":"signal","to":"\#(target.rawValue)","data":{"candidate":null}}"#
                check(hub.textReceived(text, from: sender), sender: sender)
            }
        }

        func check(_ actions: [SignalingAction], sender: ConnectionID) {
            let senderRoom = roomOf[sender]
            for (target, message) in deliveries(actions) {
                if target == sender { continue }
                #expect(
                    roomOf[target] == senderRoom,
                    "\(message) crossed from \(senderRoom ?? "-") to \(roomOf[target] ?? "-")")
            }
        }
    }
}

@Suite struct DrainingTests {
    /// Draining tells every joined client how long calls may go on, and refuses new joins.
    @Test func drainingTellsJoinedClientsAndRefusesJoins() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "s")
        hub.connectionOpened(ConnectionID(3))
        let actions = hub.drainStarted(within: 30)
        guard case .broadcast(.draining(seconds: 30), let targets) = actions.first else {
            Issue.record("expected a draining broadcast, got \(actions)")
            return
        }
        #expect(Set(targets) == [ConnectionID(1), ConnectionID(2)])
        let join = hub.textReceived(#"{"type":"join","room":"r","name":"Late"}"#, from: ConnectionID(3))
        #expect(errorCodes(join, to: 3) == [.serverDraining])
        #expect(hub.participantCount == 2)
        _ = hub.connectionClosed(ConnectionID(1))
        #expect(hub.participantCount == 1)
    }
}
