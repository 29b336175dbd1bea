/// NONCE (RFC 8489 section 14.10): server-chosen opaque text, fewer than 128 characters.
public struct Nonce: STUNTextAttribute, Hashable {
    public static let attributeType = STUNAttributeType.nonce
    static let maximumBytes = 763
    public var text: String

    public init(text: String) { self.text = text }
}
