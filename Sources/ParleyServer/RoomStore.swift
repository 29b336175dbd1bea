import Foundation
import Logging
import ParleySignaling
import SQLiteNIO

/// Where rooms, their settings and their chat persist. SQLite is the embedded default; the
/// protocol is the seam for another database when one machine is not enough.
public protocol RoomStore: Sendable {
    func loadRooms() async throws -> [RoomName: RoomSettings]
    func saveRoom(_ name: RoomName, _ settings: RoomSettings) async throws
    /// Each room's newest `limit` chat messages sent at or after `since` (milliseconds since
    /// the Unix epoch), oldest first.
    func loadChat(since: Int64, limit: Int) async throws -> [RoomName: [ChatMessage]]
    /// Stores a chat message; one with the same room and id is kept as it was.
    func saveChat(_ room: RoomName, _ message: ChatMessage) async throws
    /// Deletes chat sent before `cutoff` (milliseconds since the Unix epoch).
    func deleteChat(before cutoff: Int64) async throws
    /// A named secret, generated and stored on first use (join-token and TURN secrets).
    func secret(named name: String, generate: @Sendable () -> String) async throws -> String
    func close() async throws
}

/// Rooms in one SQLite file; the schema is created and migrated on open.
public final class SQLiteRoomStore: RoomStore {
    private let connection: SQLiteConnection

    /// Schema versions in order; `PRAGMA user_version` records how many have run.
    private static let migrations: [[String]] = [
        [
            """
            CREATE TABLE rooms (
                name TEXT PRIMARY KEY,
                password_hash TEXT,
                locked INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            )
            """,
            "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
        [
            // sender is the peer id of the sender at the time; name its display name then.
            """
            CREATE TABLE chat_messages (
                room TEXT NOT NULL,
                id TEXT NOT NULL,
                sender TEXT NOT NULL,
                name TEXT NOT NULL,
                text TEXT NOT NULL,
                sent_at INTEGER NOT NULL,
                PRIMARY KEY (room, id)
            )
            """,
            "CREATE INDEX chat_messages_by_time ON chat_messages (sent_at)",
        ],
    ]

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public static func open(path: String, logger: Logger) async throws -> SQLiteRoomStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let store = SQLiteRoomStore(connection: connection)
        do {
            try await store.migrate()
        } catch {
            try? await connection.close()
            throw error
        }
        return store
    }

    private func migrate() async throws {
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        let version = try await connection.query("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
        for (index, statements) in Self.migrations.enumerated() where index >= version {
            _ = try await connection.query("BEGIN")
            for statement in statements {
                _ = try await connection.query(statement)
            }
            _ = try await connection.query("PRAGMA user_version = \(index + 1)")
            _ = try await connection.query("COMMIT")
        }
    }

    public func loadRooms() async throws -> [RoomName: RoomSettings] {
        var rooms: [RoomName: RoomSettings] = [:]
        for row in try await connection.query("SELECT name, password_hash, locked FROM rooms") {
            guard let name = row.column("name")?.string.flatMap(RoomName.init) else { continue }
            rooms[name] = RoomSettings(
                passwordHash: row.column("password_hash")?.string,
                locked: (row.column("locked")?.integer ?? 0) != 0)
        }
        return rooms
    }

    public func saveRoom(_ name: RoomName, _ settings: RoomSettings) async throws {
        let now = Int(Date().timeIntervalSince1970)
        _ = try await connection.query(
            """
            INSERT INTO rooms (name, password_hash, locked, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
            ON CONFLICT(name) DO UPDATE SET password_hash = ?2, locked = ?3, updated_at = ?4
            """,
            [
                .text(name.rawValue), settings.passwordHash.map(SQLiteData.text) ?? .null,
                .integer(settings.locked ? 1 : 0),
                .integer(now),
            ])
    }

    public func loadChat(since: Int64, limit: Int) async throws -> [RoomName: [ChatMessage]] {
        var chat: [RoomName: [ChatMessage]] = [:]
        guard limit > 0 else { return chat }
        let rows = try await connection.query(
            """
            SELECT room, id, sender, name, text, sent_at FROM chat_messages
            WHERE sent_at >= ?1 ORDER BY room, sent_at, rowid
            """,
            [.integer(Int(since))])
        for row in rows {
            // Rows that no longer pass today's rules are skipped rather than trusted.
            guard let room = row.column("room")?.string.flatMap(RoomName.init),
                let id = row.column("id")?.string.flatMap(ChatMessageID.init),
                let sender = row.column("sender")?.string,
                let name = row.column("name")?.string.flatMap(DisplayName.init),
                let text = row.column("text")?.string,
                let sentAt = row.column("sent_at")?.integer
            else { continue }
            chat[room, default: []].append(
                ChatMessage(id: id, from: PeerID(sender), name: name, text: text, sentAt: Int64(sentAt)))
        }
        return chat.mapValues { Array($0.suffix(limit)) }
    }

    public func saveChat(_ room: RoomName, _ message: ChatMessage) async throws {
        _ = try await connection.query(
            """
            INSERT INTO chat_messages (room, id, sender, name, text, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(room, id) DO NOTHING
            """,
            [
                .text(room.rawValue), .text(message.id.rawValue), .text(message.from.rawValue),
                .text(message.name.rawValue), .text(message.text), .integer(Int(message.sentAt)),
            ])
    }

    public func deleteChat(before cutoff: Int64) async throws {
        _ = try await connection.query("DELETE FROM chat_messages WHERE sent_at < ?1", [.integer(Int(cutoff))])
    }

    public func secret(named name: String, generate: @Sendable () -> String) async throws -> String {
        if let existing = try await connection.query("SELECT value FROM secrets WHERE name = ?1", [.text(name)])
            .first?.column("value")?.string
        {
            return existing
        }
        let value = generate()
        _ = try await connection.query(
            "INSERT INTO secrets (name, value) VALUES (?1, ?2)", [.text(name), .text(value)])
        return value
    }

    public func close() async throws {
        try await connection.close()
    }
}
