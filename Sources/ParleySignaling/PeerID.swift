/// A participant's identifier, unique on the server while the participant is connected.
///
/// The server mints them from 64 random bits (16 lowercase hex digits); clients treat them as
/// opaque strings. Knowing another room's peer id gives nothing: signals are only relayed
/// within the sender's room.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A peer id made from 64 random bits.
    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> PeerID {
        let bits = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(bits, radix: 16)
        return PeerID(String(repeating: "0", count: 16 - hex.count) + hex)
    }

    public var description: String { rawValue }
}
