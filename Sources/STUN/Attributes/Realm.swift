/// REALM (RFC 8489 section 14.9): UTF-8, fewer than 128 characters (763 bytes).
public struct Realm: STUNTextAttribute, Hashable {
    public static let attributeType = STUNAttributeType.realm
    static let maximumBytes = 763
    public var text: String

    public init(text: String) { self.text = text }
}
