/// The name a participant shows to the others.
///
/// 1–64 characters (grapheme clusters, so "José" and "👩‍💻" count as people read them) after
/// trimming white space at both ends; any script, but no control characters, which could
/// break a log line or fake a line in someone's chat.
public struct DisplayName: Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 64

    public let rawValue: String

    /// Trims `text` and returns nil unless the result follows the rule above.
    public init?(_ text: String) {
        let trimmed = Self.trimmingWhitespace(text)
        guard (1...Self.maxLength).contains(trimmed.count),
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            return nil
        }
        self.rawValue = trimmed
    }

    public var description: String { rawValue }

    private static func trimmingWhitespace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else {
            return ""
        }
        return String(scalars[first...last])
    }
}
