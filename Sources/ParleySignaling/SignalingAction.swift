/// Identifies one WebSocket connection. Assigned by the IO shell, meaningless on the wire.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "#\(rawValue)" }
}

/// WebSocket close codes the server uses (RFC 6455 section 7.4.1).
public enum CloseCode: UInt16, Sendable {
    /// After `leave`.
    case normal = 1000
    /// The server is shutting down.
    case goingAway = 1001
    /// The client broke a rule the connection cannot survive: no join in time, or too slow to
    /// take its messages.
    case policyViolation = 1008
    /// A moderator removed this participant.
    case kicked = 4001
    /// A moderator ended the call for everyone.
    case roomEnded = 4002
    /// A moderator turned this person away from the lobby.
    case lobbyDenied = 4003
}

/// What the IO shell must do after an event. Actions are run in order.
public enum SignalingAction: Hashable, Sendable {
    /// Send `message` to one connection.
    case send(ServerMessage, to: ConnectionID)
    /// Send the same `message` to several connections (encoded once).
    case broadcast(ServerMessage, to: [ConnectionID])
    /// Send `finalError` if any, then close the connection with `code`. Messages still queued
    /// for it may be dropped.
    case close(ConnectionID, code: CloseCode, finalError: SignalingError? = nil)
    /// Persist `settings` for room `name` (a new room, a lock, a password change).
    case saveRoom(RoomName, RoomSettings)
    /// Persist a chat message of room `name` (only while chat retention is on).
    case saveChat(RoomName, ChatMessage)
    /// The connection closed without `leave` and its participant is away: after `after`,
    /// report `resumeWindowPassed(for:)` with this (closed) connection.
    case scheduleAwayExpiry(ConnectionID, after: Duration)
}
