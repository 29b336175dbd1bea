/// The name of a room, as it appears in the room link `/r/<name>`.
///
/// 1–64 characters from `A-Z a-z 0-9 _ -`, so a name is always safe in a URL path, a log
/// line and a database key without escaping.
public struct RoomName: Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 64

    public let rawValue: String

    /// Returns nil unless `rawValue` follows the rule above.
    public init?(_ rawValue: String) {
        let bytes = rawValue.utf8
        guard (1...Self.maxLength).contains(bytes.count), bytes.allSatisfy(Self.isAllowed) else {
            return nil
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
