/// A protocol error as sent to a client: `{"type":"error","code":...,"message":...}`.
///
/// `code` is stable and for programs; `message` is for people and names the limit or rule
/// that was broken.
public struct SignalingError: Error, Hashable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid-json"
        case invalidMessage = "invalid-message"
        case unknownType = "unknown-type"
        case messageTooLarge = "message-too-large"
        case binaryNotSupported = "binary-not-supported"
        case notJoined = "not-joined"
        case alreadyJoined = "already-joined"
        case invalidRoom = "invalid-room"
        case invalidName = "invalid-name"
        case roomFull = "room-full"
        case unknownPeer = "unknown-peer"
        case joinTimeout = "join-timeout"
        case slowConsumer = "slow-consumer"
        case serverDraining = "server-draining"
        case notAllowed = "not-allowed"
        case passwordRequired = "password-required"
        case wrongPassword = "wrong-password"
        case tooManyAttempts = "too-many-attempts"
        case tokenRequired = "token-required"
        case invalidToken = "invalid-token"
        case unknownRoom = "unknown-room"
        case lobbyFull = "lobby-full"
        case roomLocked = "room-locked"
        case lobbyDenied = "lobby-denied"
        case kicked = "kicked"
        case roomEnded = "room-ended"
        case viewerCannotSend = "viewer-cannot-send"
        case sdpTooLarge = "sdp-too-large"
        case rateLimited = "rate-limited"
        case tooManyConnections = "too-many-connections"
        case originNotAllowed = "origin-not-allowed"
        case invalidReaction = "invalid-reaction"
        case invalidChat = "invalid-chat"
    }

    public var code: Code
    public var message: String

    /// Whether this error answers a `join` that was refused (counted as a rejected join).
    public var rejectsJoin: Bool {
        switch code {
        case .invalidRoom, .invalidName, .roomFull, .serverDraining, .passwordRequired, .wrongPassword,
            .tooManyAttempts, .tokenRequired, .invalidToken, .unknownRoom, .lobbyFull, .lobbyDenied, .roomLocked:
            true
        default: false
        }
    }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
