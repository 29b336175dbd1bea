/// A message from a client to the server (docs/PROTOCOL.md, "Client → server").
public enum ClientMessage: Hashable, Sendable {
    /// Enter `room` as `name` (which a join token may supply instead). `audio`/`video` say
    /// whether microphone and camera start on; `password` and `token` are checked by the shell
    /// before the hub sees the join (`JoinCredentials`). `resume` is the token of a seat to
    /// take back after a dropped connection; one that does not fit makes a normal join.
    case join(
        room: RoomName, name: DisplayName?, audio: Bool, video: Bool, password: String? = nil, token: String? = nil,
        resume: String? = nil)
    /// Relay `data` to the participant `to` of the sender's room (as it came, unread).
    case signal(to: PeerID, data: SignalData)
    /// The sender turned its microphone or camera on or off.
    case media(audio: Bool, video: Bool)
    /// The sender raised or lowered its hand.
    case hand(raised: Bool)
    /// The sender shows everyone a reaction.
    case reaction(Reaction)
    /// The sender says `text` to the room. The hub checks the text against its limits.
    case chat(id: ChatMessageID, text: String)
    /// Leave the room and close the connection.
    case leave
    /// A moderator's request (anything but the password, which arrives in plain text).
    case moderate(ModerationAction)
    /// A moderator sets (or, with nil, removes) the room password. The shell hashes it and
    /// hands the hub `.moderate(.setPassword(hash:))`.
    case setPassword(String?)

    /// The `type` field on the wire.
    public var type: String {
        switch self {
        case .join: "join"
        case .signal: "signal"
        case .media: "media"
        case .hand: "hand"
        case .reaction: "reaction"
        case .chat: "chat"
        case .leave: "leave"
        case .moderate(let action): action.type
        case .setPassword: "set-password"
        }
    }
}

extension ClientMessage {
    /// The deepest nesting of arrays and objects a message may have. Parley's own messages
    /// nest four levels at most (a signal's candidate).
    public static let maxNestingDepth = 32

    /// Decodes one text frame, checking its size first.
    ///
    /// Every failure is a `SignalingError` whose code tells a client exactly what was wrong.
    public static func decode(_ text: String, maxBytes: Int) -> Result<ClientMessage, SignalingError> {
        let size = text.utf8.count
        guard size <= maxBytes else {
            return .failure(
                SignalingError(.messageTooLarge, "message is \(size) bytes; the limit is \(maxBytes) bytes"))
        }
        let message: JSONMembers?
        do {
            message = try JSONValue.parseMembers(
                of: text, maxDepth: maxNestingDepth, keepingTextOf: "data", butParsing: "description")
        } catch {
            switch error {
            case .nestedTooDeep(let limit):
                return .failure(
                    SignalingError(
                        .invalidJSON, "message nests arrays and objects deeper than \(limit) levels, the limit"))
            case .invalid(let reason):
                return .failure(SignalingError(.invalidJSON, "message is not valid JSON: \(reason)"))
            }
        }
        guard let message else {
            return .failure(SignalingError(.invalidJSON, "message is not a JSON object"))
        }
        do {
            return .success(try decode(message.members, data: message.kept, description: message.keptMember))
        } catch {
            return .failure(error)
        }
    }

    /// `fields` are the message's members but `data`, whose text is `data` and whose own
    /// member `description` is `description` (`JSONValue.parseMembers`).
    private static func decode(
        _ fields: [String: JSONValue], data: Substring?, description: JSONValue?
    ) throws(SignalingError) -> ClientMessage {
        guard let type = fields["type"]?.stringValue else {
            throw SignalingError(.invalidMessage, "message has no string field \"type\"")
        }
        switch type {
        case "join":
            let roomText = try requiredString("room", of: type, in: fields)
            let token = try optionalString("token", of: type, in: fields)
            // With a token the name may come from the token instead.
            let nameText =
                token == nil
                ? try requiredString("name", of: type, in: fields) : try optionalString("name", of: type, in: fields)
            guard let room = RoomName(roomText) else {
                throw SignalingError(
                    .invalidRoom,
                    "room names are 1–\(RoomName.maxLength) characters from A-Z a-z 0-9 _ -")
            }
            let name = nameText.flatMap(DisplayName.init)
            guard nameText == nil || name != nil else {
                throw SignalingError(
                    .invalidName,
                    "names are 1–\(DisplayName.maxLength) characters after trimming, without control characters")
            }
            return .join(
                room: room, name: name,
                audio: try optionalBool("audio", of: type, in: fields) ?? true,
                video: try optionalBool("video", of: type, in: fields) ?? true,
                password: try optionalString("password", of: type, in: fields),
                token: token,
                resume: try optionalString("resume", of: type, in: fields))
        case "signal":
            let to = try requiredString("to", of: type, in: fields)
            guard let data, data.utf8.first == UInt8(ascii: "{") else {
                throw SignalingError(.invalidMessage, "\"signal\" needs an object field \"data\"")
            }
            return .signal(to: PeerID(to), data: SignalData(checked: data, description: description))
        case "media":
            guard let audio = try optionalBool("audio", of: type, in: fields),
                let video = try optionalBool("video", of: type, in: fields)
            else {
                throw SignalingError(.invalidMessage, "\"media\" needs boolean fields \"audio\" and \"video\"")
            }
            return .media(audio: audio, video: video)
        case "hand":
            guard let raised = try optionalBool("raised", of: type, in: fields) else {
                throw SignalingError(.invalidMessage, "\"hand\" needs a boolean field \"raised\"")
            }
            return .hand(raised: raised)
        case "reaction":
            let emoji = try requiredString("emoji", of: type, in: fields)
            guard let reaction = Reaction(rawValue: emoji) else {
                throw SignalingError(.invalidReaction, "a reaction is one of \(Reaction.allowedList)")
            }
            return .reaction(reaction)
        case "chat":
            guard let id = ChatMessageID(try requiredString("id", of: type, in: fields)) else {
                throw SignalingError(.invalidMessage, "\"id\" of \"chat\" must be 16 lowercase hex digits")
            }
            return .chat(id: id, text: try requiredString("text", of: type, in: fields))
        case "leave":
            return .leave
        case "kick": return .moderate(.kick(PeerID(try requiredString("id", of: type, in: fields))))
        case "mute-request": return .moderate(.requestMute(PeerID(try requiredString("id", of: type, in: fields))))
        case "mute-all": return .moderate(.muteAll)
        case "lock": return .moderate(.lock)
        case "unlock": return .moderate(.unlock)
        case "end-room": return .moderate(.endRoom)
        case "grant-moderator":
            return .moderate(.grantModerator(PeerID(try requiredString("id", of: type, in: fields))))
        case "revoke-moderator":
            return .moderate(.revokeModerator(PeerID(try requiredString("id", of: type, in: fields))))
        case "admit": return .moderate(.admit(PeerID(try requiredString("id", of: type, in: fields))))
        case "deny": return .moderate(.deny(PeerID(try requiredString("id", of: type, in: fields))))
        case "set-password":
            let password = try optionalString("password", of: type, in: fields)
            if let password, !(1...ClientMessage.maxPasswordLength).contains(password.count) {
                throw SignalingError(
                    .invalidMessage, "passwords are 1–\(ClientMessage.maxPasswordLength) characters; null removes it")
            }
            return .setPassword(password)
        default:
            throw SignalingError(.unknownType, "unknown message type \"\(type.prefix(64))\"")
        }
    }

    private static func requiredString(
        _ key: String, of type: String, in fields: [String: JSONValue]
    ) throws(SignalingError) -> String {
        guard let value = fields[key]?.stringValue else {
            throw SignalingError(.invalidMessage, "\"\(type)\" needs a string field \"\(key)\"")
        }
        return value
    }

    /// Longest room password accepted; hashing cost must not grow with attacker input.
    public static let maxPasswordLength = 256

    private static func optionalString(
        _ key: String, of type: String, in fields: [String: JSONValue]
    ) throws(SignalingError) -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw SignalingError(.invalidMessage, "\"\(key)\" of \"\(type)\" must be a string")
        }
        return string
    }

    private static func optionalBool(
        _ key: String, of type: String, in fields: [String: JSONValue]
    ) throws(SignalingError) -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard let bool = value.boolValue else {
            throw SignalingError(.invalidMessage, "\"\(key)\" of \"\(type)\" must be true or false")
        }
        return bool
    }
}
