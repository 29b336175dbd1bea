/// A signal's `data`: the JSON object one peer sends another (an SDP description or an ICE
/// candidate), relayed as the text it came in.
///
/// The server reads one thing from it: the SDP of a `description`, whose size it bounds and
/// whose directions it checks for viewers (`SignalingHub`). The rest is only checked to be
/// valid JSON (`JSONValue.parseMembers`) and copied into the relayed message byte for byte.
public struct SignalData: Hashable, Sendable, CustomStringConvertible {
    /// The object's JSON text: checked by the parser, or written by `init(_:)`.
    public let text: Substring
    /// `description.sdp`, when the object has a description with a string `sdp`.
    public let sdp: String?

    /// Data the parser checked to be one JSON object; `description` is its `description`
    /// member, parsed.
    init(checked text: Substring, description: JSONValue?) {
        self.text = text
        sdp = description?["sdp"]?.stringValue
    }

    /// The object with `members`, as compact JSON text.
    public init(_ members: [String: JSONValue]) {
        var writer = JSONTextWriter()
        writer.write(.object(members))
        text = Substring(writer.text)
        sdp = members["description"]?["sdp"]?.stringValue
    }

    /// The object with `members` (reads as the `JSONValue` case where the type is known).
    public static func object(_ members: [String: JSONValue]) -> SignalData {
        SignalData(members)
    }

    /// The object parsed into a tree. Its text is one valid JSON object by construction (see
    /// `text`), so this cannot fail.
    public var value: JSONValue {
        try! JSONValue(parsing: String(text), maxDepth: .max)
    }

    public var description: String { String(text) }

    /// Equal when the texts are equal byte for byte.
    public static func == (lhs: SignalData, rhs: SignalData) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

extension SignalData: Encodable {
    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
