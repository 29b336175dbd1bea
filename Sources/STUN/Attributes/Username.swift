/// USERNAME (RFC 8489 section 14.3): UTF-8, fewer than 509 bytes (a little slack is allowed
/// on input). For TURN REST credentials it is `expiry:peerid`.
public struct Username: STUNTextAttribute, Hashable {
    public static let attributeType = STUNAttributeType.username
    static let maximumBytes = 513
    public var text: String

    public init(text: String) { self.text = text }
}
