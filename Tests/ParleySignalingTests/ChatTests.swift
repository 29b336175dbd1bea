import Foundation
import ParleySignaling
import Testing

@Suite struct ChatTests {
    private let c1 = ConnectionID(1)
    private let c2 = ConnectionID(2)
    private let c3 = ConnectionID(3)
    private let hour: Int64 = 3_600_000

    private func hub(
        history: Int = 50, retentionHours: Int = 24, maxCharacters: Int = 2_000,
        stored: [RoomName: [ChatMessage]] = [:]
    ) -> TestHub {
        SignalingHub(
            configuration: SignalingConfiguration(
                maxChatCharacters: maxCharacters, chatHistoryLimit: history,
                chatRetention: .seconds(3_600 * retentionHours)),
            chatHistory: stored, random: SeededGenerator(state: 42))
    }

    private func id(_ n: Int) -> ChatMessageID {
        ChatMessageID(String(format: "%016x", n))!
    }

    /// Joins `connection` to `room` at `now`; returns the `joined` message's chat history.
    private func joinedChat(_ hub: inout TestHub, _ connection: UInt64, room: String = "r", now: Int64)
        -> [ChatMessage]
    {
        hub.connectionOpened(ConnectionID(connection))
        let actions = hub.messageReceived(
            .join(room: RoomName(room)!, name: DisplayName("P\(connection)")!, audio: true, video: true),
            from: ConnectionID(connection), now: now)
        for case .send(.joined(_, _, _, _, _, let welcome), _) in actions { return welcome.chat }
        Issue.record("no joined in \(actions)")
        return []
    }

    private func say(_ hub: inout TestHub, _ text: String, id n: Int, from connection: UInt64, at now: Int64)
        -> [SignalingAction]
    {
        hub.messageReceived(.chat(id: id(n), text: text), from: ConnectionID(connection), now: now)
    }

    /// A chat message reaches everyone in the room, the sender included, with the server's
    /// time and the sender's name, and is handed to the store.
    @Test func chatReachesEveryoneWithServerTimeAndIsSaved() {
        var hub = hub()
        let ada = hub.openAndJoin(1, room: "r", name: "Ada")
        _ = hub.openAndJoin(2, room: "r")
        _ = hub.openAndJoin(3, room: "elsewhere")
        let actions = say(&hub, "  hello\nworld\t ", id: 7, from: 1, at: 1_764_064_800_000)
        let message = ChatMessage(
            id: id(7), from: ada, name: DisplayName("Ada")!, text: "hello\nworld", sentAt: 1_764_064_800_000)
        #expect(actions == [.broadcast(.chat(message), to: [c1, c2]), .saveChat(RoomName("r")!, message)])
    }

    /// Empty, too long and control-character texts get `invalid-chat` naming the limit, and
    /// reach nobody; the limit is the configured one, counted in characters.
    @Test func badTextIsRefusedWithTheLimit() {
        var hub = hub(maxCharacters: 5)
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(2, room: "r")
        for text in ["", " \n\t ", "123456", "a\u{7}b", "a\rb", "a\u{1B}[2Jb"] {
            let actions = say(&hub, text, id: 1, from: 1, at: 0)
            #expect(errorCodes(actions, to: 1) == [.invalidChat], "\(text.debugDescription)")
            #expect(actions.count == 1)
            guard case .send(.error(let error), _) = actions.first else { continue }
            #expect(error.message.contains("5"))
        }
        // Five characters as people count them, each several scalars.
        #expect(say(&hub, "👩‍💻👍🏽éé🇫🇷", id: 2, from: 1, at: 0).count == 2)
    }

    /// A chat needs a join, a 16-lowercase-hex id and a string text.
    @Test func chatNeedsAJoinAndAWellFormedID() {
        var hub = hub()
        hub.connectionOpened(c1)
        #expect(errorCodes(say(&hub, "hi", id: 1, from: 1, at: 0), to: 1) == [.notJoined])
        _ = hub.openAndJoin(2, room: "r")
        for text in [
            #"{"type":"chat","text":"hi"}"#, #"{"type":"chat","id":"ABCDEF0123456789","text":"hi"}"#,
            #"{"type":"chat","id":"0123","text":"hi"}"#, #"{"type":"chat","id":"0123456789abcdef"}"#,
            #"{"type":"chat","id":"0123456789abcdef","text":5}"#,
        ] {
            #expect(errorCodes(hub.textReceived(text, from: c2), to: 2) == [.invalidMessage], "\(text)")
        }
        #expect(hub.textReceived(#"{"type":"chat","id":"0123456789abcdef","text":"hi"}"#, from: c2).count == 2)
    }

    /// A newcomer gets the room's recent chat, oldest first, at most `chat-history` messages,
    /// and only its own room's.
    @Test func historyIsTrimmedByCount() {
        var hub = hub(history: 3)
        _ = hub.openAndJoin(1, room: "r")
        _ = hub.openAndJoin(3, room: "other")
        for n in 1...5 {
            _ = say(&hub, "m\(n)", id: n, from: 1, at: Int64(n))
        }
        _ = say(&hub, "elsewhere", id: 9, from: 3, at: 6)
        #expect(joinedChat(&hub, 2, now: 10).map(\.text) == ["m3", "m4", "m5"])
    }

    /// Messages older than `chat-retention` are not handed to newcomers, and are forgotten
    /// when the retention period passes.
    @Test func historyIsTrimmedByAge() {
        var hub = hub(retentionHours: 2)
        _ = hub.openAndJoin(1, room: "r")
        _ = say(&hub, "old", id: 1, from: 1, at: 0)
        _ = say(&hub, "recent", id: 2, from: 1, at: 2 * hour)
        #expect(joinedChat(&hub, 2, now: 2 * hour).map(\.text) == ["old", "recent"])
        #expect(joinedChat(&hub, 3, now: 2 * hour + 1).map(\.text) == ["recent"])
        hub.chatRetentionPassed(now: 5 * hour)
        #expect(hub.recentChat(in: RoomName("r")!, now: 0).isEmpty)
    }

    /// With retention 0 chat is still relayed, but nothing is saved or handed to newcomers.
    @Test func retentionZeroRelaysButStoresNothing() {
        var hub = hub(retentionHours: 0, stored: [RoomName("r")!: [storedMessage(1)]])
        _ = hub.openAndJoin(1, room: "r")
        let actions = say(&hub, "hi", id: 1, from: 1, at: 5)
        #expect(actions.count == 1)
        #expect(!actions.contains { if case .saveChat = $0 { true } else { false } })
        #expect(joinedChat(&hub, 2, now: 6).isEmpty)
    }

    /// History loaded from the store at start is handed to newcomers (the server restarted).
    @Test func storedHistoryReachesNewcomers() {
        var hub = hub(history: 2, stored: [RoomName("r")!: [storedMessage(1), storedMessage(2), storedMessage(3)]])
        #expect(joinedChat(&hub, 1, now: 10).map(\.id) == [id(2), id(3)])
    }

    /// A message resent with the same id (after a reconnect) is relayed but kept and stored once.
    @Test func resentMessageIsStoredOnce() {
        var hub = hub()
        _ = hub.openAndJoin(1, room: "r")
        #expect(say(&hub, "hi", id: 1, from: 1, at: 1).count == 2)
        #expect(say(&hub, "hi", id: 1, from: 1, at: 2).count == 1)
        #expect(joinedChat(&hub, 2, now: 3).count == 1)
    }

    /// Viewers may chat, and someone admitted from the lobby gets the history too.
    @Test func viewersChatAndAdmittedPeopleGetHistory() {
        var hub = hub()
        _ = hub.openAndJoin(1, room: "r")
        hub.connectionOpened(c2)
        let token = JoinToken(room: RoomName("r")!, name: DisplayName("Vi")!, role: .viewer)
        _ = hub.messageReceived(
            .join(room: RoomName("r")!, name: nil, audio: false, video: false), from: c2,
            credentials: JoinCredentials(token: .valid(token)))
        #expect(errorCodes(say(&hub, "from a viewer", id: 1, from: 2, at: 1), to: 2).isEmpty)
        _ = hub.messageReceived(.moderate(.lock), from: c1)
        hub.connectionOpened(c3)
        let knock = hub.messageReceived(
            .join(room: RoomName("r")!, name: DisplayName("Lin")!, audio: true, video: true), from: c3)
        guard case .broadcast(.knock(let waiting), _) = knock.last else {
            Issue.record("no knock in \(knock)")
            return
        }
        let admitted = hub.messageReceived(.moderate(.admit(waiting.id)), from: c1, now: 2)
        guard case .send(.joined(_, _, _, _, _, let welcome), to: c3) = admitted.first else {
            Issue.record("no joined in \(admitted)")
            return
        }
        #expect(welcome.chat.map(\.text) == ["from a viewer"])
    }

    /// The wire shapes of `chat` and `joined.chat`.
    @Test func encodesTheDocumentedShapes() throws {
        let text = ServerMessage.chat(storedMessage(1)).jsonText()
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
        #expect(
            object == [
                "type": "chat",
                "message": [
                    "id": "0000000000000001", "from": "a1", "name": "Ada", "text": "m1", "sentAt": 1_764_064_800_001,
                ],
            ])
    }

    private func storedMessage(_ n: Int) -> ChatMessage {
        ChatMessage(
            id: id(n), from: PeerID("a1"), name: DisplayName("Ada")!, text: "m\(n)",
            sentAt: 1_764_064_800_000 + Int64(n))
    }
}
