import Foundation
import ParleySignaling
import Testing

@Suite struct HandAndReactionTests {
    private let c1 = ConnectionID(1)
    private let c2 = ConnectionID(2)
    private let c3 = ConnectionID(3)

    /// A raised hand reaches everyone in the room, the sender included, and nobody elsewhere.
    @Test func raisedHandReachesEveryoneIncludingTheSender() {
        var hub = makeHub()
        let ada = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        _ = hub.openAndJoin(3, room: "elsewhere")
        #expect(
            hub.messageReceived(.hand(raised: true), from: c1) == [
                .broadcast(.peerHand(id: ada, raised: true), to: [c1, c2])
            ])
        #expect(hub.room(RoomName("r")!)?.member(ada)?.info.hand == true)
        #expect(
            hub.messageReceived(.hand(raised: false), from: c1) == [
                .broadcast(.peerHand(id: ada, raised: false), to: [c1, c2])
            ])
        #expect(hub.room(RoomName("r")!)?.member(ada)?.info.hand == false)
    }

    /// A newcomer sees who has a hand up in `joined.peers`, and starts with its own down.
    @Test func newcomerSeesRaisedHandsAndStartsLowered() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.messageReceived(.hand(raised: true), from: c1)
        hub.connectionOpened(c2)
        let actions = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Bob")!, audio: true, video: true), from: c2)
        guard case .send(.joined(let you, _, let peers, _, _, _), to: c2) = actions.first else {
            Issue.record("expected joined, got \(actions)")
            return
        }
        #expect(peers.map(\.hand) == [true])
        #expect(!you.hand)
        #expect(actions.contains { if case .broadcast(.peerJoined(let info), _) = $0 { !info.hand } else { false } })
    }

    /// Viewers may raise their hands too.
    @Test func viewersMayRaiseHands() {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        hub.connectionOpened(c2)
        let token = JoinToken(room: RoomName("r")!, name: DisplayName("Vi")!, role: .viewer)
        _ = hub.messageReceived(
            .join(room: RoomName("r")!, name: nil, audio: false, video: false), from: c2,
            credentials: JoinCredentials(token: .valid(token)))
        let actions = hub.messageReceived(.hand(raised: true), from: c2)
        #expect(deliveries(actions).map(\.0) == [c1, c2])
        #expect(errorCodes(actions, to: 2).isEmpty)
    }

    /// Every allowed reaction is relayed to everyone in the room, the sender included.
    @Test(arguments: Reaction.allCases)
    func reactionReachesEveryoneIncludingTheSender(_ reaction: Reaction) throws {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        let bob = hub.openAndJoin(2, room: "r")
        _ = hub.openAndJoin(3, room: "elsewhere")
        let text = String(
            decoding: try JSONEncoder().encode(["type": "reaction", "emoji": reaction.rawValue]), as: UTF8.self)
        #expect(
            hub.textReceived(text, from: c2) == [.broadcast(.reaction(from: bob, emoji: reaction), to: [c1, c2])])
    }

    /// Only the six emoji of the allow-list are reactions; anything else gets `invalid-reaction`
    /// naming them, and reaches nobody.
    @Test(arguments: ["👎", "❤", "👍🏽", "hello", "", "👍👍"])
    func otherEmojiAreRefused(_ emoji: String) throws {
        var hub = makeHub()
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        let text = String(decoding: try JSONEncoder().encode(["type": "reaction", "emoji": emoji]), as: UTF8.self)
        let actions = hub.textReceived(text, from: c1)
        #expect(errorCodes(actions, to: 1) == [.invalidReaction])
        #expect(deliveries(actions).count == 1)
        guard case .send(.error(let error), _) = actions.first else { return }
        #expect(Reaction.allCases.allSatisfy { error.message.contains($0.rawValue) })
    }

    /// `hand` and `reaction` before joining get `not-joined`; malformed ones `invalid-message`.
    @Test func handAndReactionNeedAJoinAndTheirFields() {
        var hub = makeHub()
        hub.connectionOpened(c1)
        #expect(errorCodes(hub.messageReceived(.hand(raised: true), from: c1), to: 1) == [.notJoined])
        #expect(errorCodes(hub.messageReceived(.reaction(.clap), from: c1), to: 1) == [.notJoined])
        _ = hub.openAndJoin(2, room: "r")
        #expect(errorCodes(hub.textReceived(#"{"type":"hand"}"#, from: c2), to: 2) == [.invalidMessage])
        #expect(errorCodes(hub.textReceived(#"{"type":"hand","raised":"yes"}"#, from: c2), to: 2) == [.invalidMessage])
        #expect(errorCodes(hub.textReceived(#"{"type":"reaction"}"#, from: c2), to: 2) == [.invalidMessage])
    }

    /// The wire shapes of `peer-hand`, `reaction` and a peer's `hand`.
    @Test func encodesTheDocumentedShapes() throws {
        func object(_ message: ServerMessage) throws -> NSDictionary {
            try #require(JSONSerialization.jsonObject(with: Data(message.jsonText().utf8)) as? NSDictionary)
        }
        #expect(
            try object(.peerHand(id: PeerID("a1"), raised: true)) == ["type": "peer-hand", "id": "a1", "raised": true])
        #expect(
            try object(.reaction(from: PeerID("a1"), emoji: .heart))
                == ["type": "reaction", "from": "a1", "emoji": "\u{2764}\u{FE0F}"])
        #expect(
            try ClientMessage.decode(#"{"type":"reaction","emoji":"\ud83c\udf89"}"#, maxBytes: 100).get()
                == .reaction(.party))
        #expect(
            try ClientMessage.decode(#"{"type":"hand","raised":false}"#, maxBytes: 100).get() == .hand(raised: false))
    }
}
