/// What a participant may do in a room.
public enum Role: String, Hashable, Sendable, CaseIterable, Codable {
    /// Runs the room: kicks, asks people to mute, locks, admits from the lobby, ends the call,
    /// sets the password, and grants or revokes moderator.
    case moderator
    /// Talks and listens.
    case participant
    /// Only receives: may not send audio or video (enforced on the SDP it sends).
    case viewer
}

/// A room's settings that outlive its calls (persisted by the server).
public struct RoomSettings: Hashable, Sendable {
    /// A salted slow hash of the room password (PHC string), or nil for no password. The hub
    /// never sees passwords; the shell hashes and verifies them.
    public var passwordHash: String?
    /// Locked: newcomers wait in the lobby until a moderator admits them.
    public var locked: Bool

    public init(passwordHash: String? = nil, locked: Bool = false) {
        self.passwordHash = passwordHash
        self.locked = locked
    }
}

/// What the shell found out about a `join`'s secrets before handing it to the hub.
public struct JoinCredentials: Hashable, Sendable {
    /// The outcome of checking a join token.
    public enum Token: Hashable, Sendable {
        case absent
        case valid(JoinToken)
        /// Bad signature, expired, wrong algorithm, malformed: the reason, for the error.
        case invalid(String)
    }

    /// nil: no password given. Otherwise whether it matched the room's password.
    public var passwordMatches: Bool?
    public var token: Token
    /// The address has made too many joins or wrong password guesses lately.
    public var rateLimited: Bool

    public init(passwordMatches: Bool? = nil, token: Token = .absent, rateLimited: Bool = false) {
        self.passwordMatches = passwordMatches
        self.token = token
        self.rateLimited = rateLimited
    }
}

/// The claims of a verified join token (signed by the site embedding Parley).
public struct JoinToken: Hashable, Sendable {
    public var room: RoomName
    public var name: DisplayName
    public var role: Role

    public init(room: RoomName, name: DisplayName, role: Role) {
        self.room = room
        self.name = name
        self.role = role
    }
}

/// A moderator's request. Every one is checked by the hub: only a moderator of the same room
/// may make it, and targets must be in that room (or its lobby).
public enum ModerationAction: Hashable, Sendable {
    case kick(PeerID)
    /// Asks the participant to mute; nobody can be unmuted remotely.
    case requestMute(PeerID)
    case muteAll
    case lock
    case unlock
    case endRoom
    case grantModerator(PeerID)
    case revokeModerator(PeerID)
    /// The new password's hash (the shell hashes), or nil to remove the password.
    case setPassword(hash: String?)
    case admit(PeerID)
    case deny(PeerID)

    /// The wire name of the message that asks for it.
    public var type: String {
        switch self {
        case .kick: "kick"
        case .requestMute: "mute-request"
        case .muteAll: "mute-all"
        case .lock: "lock"
        case .unlock: "unlock"
        case .endRoom: "end-room"
        case .grantModerator: "grant-moderator"
        case .revokeModerator: "revoke-moderator"
        case .setPassword: "set-password"
        case .admit: "admit"
        case .deny: "deny"
        }
    }

    /// Which roles may ask for this. Today every moderation action is the moderator's alone;
    /// the table is here so that a change of policy is a change of data, and is tested as such.
    public func isAllowed(for role: Role) -> Bool {
        role == .moderator
    }
}
