/// A chat message's id, chosen by its sender: 16 lowercase hex digits.
///
/// Chosen by the sender rather than the server, so that a message sent once through the
/// server and once over a data channel (while signalling was down) is recognised as one.
public struct ChatMessageID: Hashable, Sendable, CustomStringConvertible {
    public static let length = 16

    public let rawValue: String

    /// Returns nil unless `rawValue` is 16 lowercase hex digits.
    public init?(_ rawValue: String) {
        guard rawValue.isLowercaseHex(length: Self.length) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// A chat message as the server relays and stores it (`chat.message`, `joined.chat`).
public struct ChatMessage: Hashable, Sendable, Encodable {
    public var id: ChatMessageID
    public var from: PeerID
    /// The sender's display name when it was sent: history outlives the sender's presence.
    public var name: DisplayName
    public var text: String
    /// The server's clock when it arrived, in milliseconds since the Unix epoch.
    public var sentAt: Int64

    public init(id: ChatMessageID, from: PeerID, name: DisplayName, text: String, sentAt: Int64) {
        self.id = id
        self.from = from
        self.name = name
        self.text = text
        self.sentAt = sentAt
    }

    /// `text` trimmed of white space at both ends, if it is then 1...`maxCharacters`
    /// characters (grapheme clusters) with no control characters but newline and tab.
    ///
    /// Control characters could break a log line, or fake a line of someone else's message.
    public static func validText(_ text: String, maxCharacters: Int) -> String? {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return nil }
        let trimmed = String(scalars[first...last])
        guard trimmed.count <= maxCharacters,
            !trimmed.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t"
            })
        else { return nil }
        return trimmed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.rawValue, forKey: .id)
        try container.encode(from.rawValue, forKey: .from)
        try container.encode(name.rawValue, forKey: .name)
        try container.encode(text, forKey: .text)
        try container.encode(sentAt, forKey: .sentAt)
    }

    private enum CodingKeys: String, CodingKey { case id, from, name, text, sentAt }
}

/// A room's recent chat, oldest first, as the hub keeps it for `joined.chat`: bounded by
/// count and by age.
struct ChatHistory: Hashable, Sendable {
    private(set) var messages: [ChatMessage] = []

    init(_ messages: [ChatMessage] = []) {
        self.messages = messages
    }

    /// Adds `message` unless one with its id is already there (a client resending after a
    /// reconnect); keeps the newest `limit`. Returns whether it was added.
    mutating func append(_ message: ChatMessage, limit: Int) -> Bool {
        guard !messages.contains(where: { $0.id == message.id }) else { return false }
        messages.append(message)
        if messages.count > limit {
            messages.removeFirst(messages.count - limit)
        }
        return true
    }

    /// Forgets messages sent before `cutoff` (milliseconds since the Unix epoch).
    mutating func removeOlder(than cutoff: Int64) {
        messages.removeAll { $0.sentAt < cutoff }
    }

    /// The newest `limit` messages sent at or after `cutoff`, oldest first.
    func recent(since cutoff: Int64, limit: Int) -> [ChatMessage] {
        Array(messages.filter { $0.sentAt >= cutoff }.suffix(max(limit, 0)))
    }
}
