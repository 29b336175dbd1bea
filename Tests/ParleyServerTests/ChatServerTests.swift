import Foundation
import Logging
import ParleyServer
import ParleySignaling
import Testing

@Suite(.timeLimit(.minutes(1))) struct ChatServerTests {
    private func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("parley-chat-\(UUID()).sqlite").path
    }

    private func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    /// Says `text` with `id` from `socket` and waits until the server has relayed it back.
    private func say(_ text: String, id: String, from socket: TestSocket) async throws -> [String: Any] {
        socket.send(["type": "chat", "id": id, "text": text])
        let echo = try await socket.next()
        guard echo["type"] as? String == "chat", let message = echo["message"] as? [String: Any] else {
            throw TestFailure("expected the chat back, got \(echo)")
        }
        return message
    }

    /// Chat reaches the others and the sender with the server's time and the sender's name; a
    /// late joiner finds it in `joined.chat`, oldest first; a bad one gets `invalid-chat`.
    @Test func chatHistoryReachesALateJoiner() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.maxChatCharacters = 10
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("chatty", as: "Ada")
            let (bob, bobJoined) = try await server.join("chatty", as: "Bob")
            #expect((bobJoined["chat"] as? [Any])?.isEmpty == true)
            _ = try await ada.next()  // peer-joined Bob

            let before = Date().timeIntervalSince1970 * 1_000
            let first = try await say("hello", id: "00000000000000a1", from: ada)
            #expect(first["name"] as? String == "Ada")
            #expect(first["from"] as? String != nil)
            let sentAt = try #require(first["sentAt"] as? Double)
            #expect(sentAt >= before.rounded(.down) && sentAt <= Date().timeIntervalSince1970 * 1_000 + 1)
            let relayed = try await bob.next()
            #expect((relayed["message"] as? [String: Any])?["text"] as? String == "hello")
            _ = try await say("hi Ada", id: "00000000000000b2", from: bob)
            _ = try await ada.next()

            ada.send(["type": "chat", "id": "00000000000000a3", "text": "far too long"])
            let refused = try await ada.next()
            #expect(refused["code"] as? String == "invalid-chat")
            #expect((refused["message"] as? String)?.contains("10") == true)

            let (_, cyJoined) = try await server.join("chatty", as: "Cy")
            let history = try #require(cyJoined["chat"] as? [[String: Any]])
            #expect(history.map { $0["text"] as? String } == ["hello", "hi Ada"])
            #expect(history.map { $0["name"] as? String } == ["Ada", "Bob"])
            #expect(history.first?["id"] as? String == "00000000000000a1")
        }
    }

    /// Chat history is in the database: after a restart on the same file, newcomers get it.
    @Test func historySurvivesARestart() async throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        let configuration = ParleyConfiguration(databasePath: database)
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("kept", as: "Ada")
            _ = try await say("before the restart", id: "0123456789abcdef", from: ada)
            _ = try await say("and again", id: "0123456789abcde0", from: ada)
        }
        try await withParley(configuration) { server in
            let (_, joined) = try await server.join("kept", as: "Bob")
            let history = try #require(joined["chat"] as? [[String: Any]])
            #expect(history.map { $0["text"] as? String } == ["before the restart", "and again"])
            #expect(history.first?["name"] as? String == "Ada")
            let (_, elsewhere) = try await server.join("other", as: "Bob")
            #expect((elsewhere["chat"] as? [Any])?.isEmpty == true)
        }
    }

    /// With `chat-retention` 0 chat is relayed, but nothing reaches the database and nobody
    /// gets history, not even after a restart with retention back on; what an earlier run
    /// stored is deleted.
    @Test func retentionZeroStoresNothing() async throws {
        let database = temporaryDatabase()
        defer { removeDatabase(database) }
        var configuration = ParleyConfiguration(databasePath: database)
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("room", as: "Ada")
            _ = try await say("stored for a day", id: "1111111111111111", from: ada)
        }
        configuration.signaling.chatRetention = .zero
        try await withParley(configuration) { server in
            let (ada, joined) = try await server.join("room", as: "Ada")
            #expect((joined["chat"] as? [Any])?.isEmpty == true)
            let (bob, _) = try await server.join("room", as: "Bob")
            _ = try await ada.next()  // peer-joined Bob
            _ = try await say("off the record", id: "2222222222222222", from: ada)
            #expect((try await bob.next()["message"] as? [String: Any])?["text"] as? String == "off the record")
            let (_, cyJoined) = try await server.join("room", as: "Cy")
            #expect((cyJoined["chat"] as? [Any])?.isEmpty == true)
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try await SQLiteRoomStore.open(path: database, logger: logger)
        let stored = try await store.loadChat(since: 0, limit: 100)
        try await store.close()
        #expect(stored.isEmpty)
    }
}
