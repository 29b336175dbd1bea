#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The protocol version this server speaks, sent in `joined`.
public let protocolVersion = 1

/// A participant as others see it.
public struct PeerInfo: Hashable, Sendable, Encodable {
    public var id: PeerID
    public var name: DisplayName
    public var audio: Bool
    public var video: Bool
    public var role: Role
    /// The hand is raised (`hand`); everyone starts with it down.
    public var hand: Bool

    public init(
        id: PeerID, name: DisplayName, audio: Bool, video: Bool, role: Role = .participant, hand: Bool = false
    ) {
        self.id = id
        self.name = name
        self.audio = audio
        self.video = video
        self.role = role
        self.hand = hand
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.rawValue, forKey: .id)
        try container.encode(name.rawValue, forKey: .name)
        try container.encode(audio, forKey: .audio)
        try container.encode(video, forKey: .video)
        try container.encode(role, forKey: .role)
        try container.encode(hand, forKey: .hand)
    }

    private enum CodingKeys: String, CodingKey { case id, name, audio, video, role, hand }
}

/// An `RTCIceServer` as handed to browsers in `joined.iceServers`.
public struct ICEServer: Hashable, Sendable, Codable {
    public var urls: [String]
    public var username: String?
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

/// What `joined` carries besides the roster and the room's settings.
public struct Welcome: Hashable, Sendable {
    /// The room's recent chat, oldest first.
    public var chat: [ChatMessage]
    /// The token that takes this seat back after a dropped connection; nil with resuming off.
    public var resume: ResumeToken?
    /// The seat was taken back (same id, role, hand and media state as before the drop).
    public var resumed: Bool

    public init(chat: [ChatMessage] = [], resume: ResumeToken? = nil, resumed: Bool = false) {
        self.chat = chat
        self.resume = resume
        self.resumed = resumed
    }
}

/// A message from the server to a client (docs/PROTOCOL.md, "Server → client").
public enum ServerMessage: Hashable, Sendable {
    /// You are in. `you` is how the others see you (your id, name and role).
    case joined(
        you: PeerInfo, room: RoomName, peers: [PeerInfo], iceServers: [ICEServer], settings: RoomSettings,
        welcome: Welcome = Welcome())
    /// The room is locked: you wait until a moderator admits you (then `joined`) or not.
    case lobby(room: RoomName)
    /// To moderators: someone is waiting in the lobby.
    case knock(PeerInfo)
    /// To moderators: the person stopped waiting (admitted, denied or gone).
    case knockEnded(PeerID)
    case peerRole(id: PeerID, role: Role)
    /// A moderator asks you to mute your microphone.
    case muteRequest(from: PeerID)
    /// The room was locked or unlocked, or its password set or removed.
    case roomState(RoomSettings)
    case peerJoined(PeerInfo)
    case peerLeft(PeerID)
    case peerMedia(id: PeerID, audio: Bool, video: Bool)
    /// Someone raised or lowered a hand (to everyone, the sender included).
    case peerHand(id: PeerID, raised: Bool)
    /// Someone shows a reaction (to everyone, the sender included; not stored).
    case reaction(from: PeerID, emoji: Reaction)
    /// Someone said something (to everyone, the sender included).
    case chat(ChatMessage)
    case signal(from: PeerID, data: SignalData)
    /// The server is shutting down: calls may go on for up to `seconds`, no one can join.
    case draining(seconds: Int)
    case error(SignalingError)

    /// The `type` field on the wire.
    public var type: String {
        switch self {
        case .joined: "joined"
        case .lobby: "lobby"
        case .knock: "knock"
        case .knockEnded: "knock-ended"
        case .peerRole: "peer-role"
        case .muteRequest: "mute-request"
        case .roomState: "room-state"
        case .peerJoined: "peer-joined"
        case .peerLeft: "peer-left"
        case .peerMedia: "peer-media"
        case .peerHand: "peer-hand"
        case .reaction: "reaction"
        case .chat: "chat"
        case .signal: "signal"
        case .draining: "draining"
        case .error: "error"
        }
    }
}

extension ServerMessage: Encodable {
    private enum CodingKeys: String, CodingKey {
        case type, `protocol`, id, role, room, peers, iceServers, peer, audio, video, from, data, code, message, seconds
        case locked, hasPassword, name, raised, emoji, chat, resume, resumed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .joined(let you, let room, let peers, let iceServers, let settings, let welcome):
            try container.encode(protocolVersion, forKey: .protocol)
            try container.encode(you.id.rawValue, forKey: .id)
            try container.encode(you.name.rawValue, forKey: .name)
            try container.encode(you.role, forKey: .role)
            try container.encode(room.rawValue, forKey: .room)
            try container.encode(peers, forKey: .peers)
            try container.encode(iceServers, forKey: .iceServers)
            try container.encode(settings.locked, forKey: .locked)
            try container.encode(settings.passwordHash != nil, forKey: .hasPassword)
            try container.encode(welcome.chat, forKey: .chat)
            try container.encodeIfPresent(welcome.resume?.rawValue, forKey: .resume)
            try container.encode(welcome.resumed, forKey: .resumed)
        case .lobby(let room):
            try container.encode(room.rawValue, forKey: .room)
        case .knock(let peer):
            try container.encode(peer, forKey: .peer)
        case .knockEnded(let id):
            try container.encode(id.rawValue, forKey: .id)
        case .peerRole(let id, let role):
            try container.encode(id.rawValue, forKey: .id)
            try container.encode(role, forKey: .role)
        case .muteRequest(let from):
            try container.encode(from.rawValue, forKey: .from)
        case .roomState(let settings):
            try container.encode(settings.locked, forKey: .locked)
            try container.encode(settings.passwordHash != nil, forKey: .hasPassword)
        case .peerJoined(let peer):
            try container.encode(peer, forKey: .peer)
        case .peerLeft(let id):
            try container.encode(id.rawValue, forKey: .id)
        case .peerMedia(let id, let audio, let video):
            try container.encode(id.rawValue, forKey: .id)
            try container.encode(audio, forKey: .audio)
            try container.encode(video, forKey: .video)
        case .peerHand(let id, let raised):
            try container.encode(id.rawValue, forKey: .id)
            try container.encode(raised, forKey: .raised)
        case .reaction(let from, let emoji):
            try container.encode(from.rawValue, forKey: .from)
            try container.encode(emoji.rawValue, forKey: .emoji)
        case .chat(let message):
            try container.encode(message, forKey: .message)
        case .signal(let from, let data):
            try container.encode(from.rawValue, forKey: .from)
            try container.encode(data, forKey: .data)
        case .draining(let seconds):
            try container.encode(seconds, forKey: .seconds)
        case .error(let error):
            try container.encode(error.code.rawValue, forKey: .code)
            try container.encode(error.message, forKey: .message)
        }
    }

    /// The message as the JSON text of one WebSocket frame.
    public func jsonText() -> String {
        // Signals are nearly all the traffic of a call, so they are written by hand; the rest
        // go through `Codable`, which writes members in the same order.
        if case .signal(let from, let data) = self {
            // Room for all of it from the start (the rest is 35 bytes): a signal's
            // candidate or SDP outgrows the default, and growing copies it.
            var writer = JSONTextWriter(capacity: data.text.utf8.count + from.rawValue.utf8.count + 48)
            writer.raw(#"{"type":"signal","from":"#)
            writer.write(from.rawValue)
            writer.raw(#","data":"#)
            writer.write(json: data.text)
            writer.raw("}")
            return writer.text
        }
        // Encoding these types cannot fail: every value is a string, number, bool or
        // JSONValue, none of them a non-finite Double (JSON text has no way to carry one).
        let data = try! JSONEncoder().encode(self)
        return String(decoding: data, as: UTF8.self)
    }
}
