/// SOFTWARE (RFC 8489 section 14.14): a description of the agent, fewer than 128 characters.
public struct Software: STUNTextAttribute, Hashable {
    public static let attributeType = STUNAttributeType.software
    static let maximumBytes = 763
    public var text: String

    public init(text: String) { self.text = text }
}
