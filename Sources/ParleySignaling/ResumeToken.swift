/// A secret that lets a participant take its seat back after its WebSocket dropped
/// (`joined.resume`, `join.resume`): 128 random bits as 32 lowercase hex digits.
///
/// Single use: every `joined` carries a fresh one and the previous one stops working, so a
/// token seen in an old log or a stale tab cannot take over the seat later.
public struct ResumeToken: Hashable, Sendable, CustomStringConvertible {
    public static let length = 32

    public let rawValue: String

    /// Returns nil unless `rawValue` is 32 lowercase hex digits.
    public init?(_ rawValue: String) {
        guard rawValue.isLowercaseHex(length: Self.length) else { return nil }
        self.rawValue = rawValue
    }

    /// A token made from 128 random bits.
    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> ResumeToken {
        let hex = (0..<2).map { _ in
            let digits = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return ResumeToken(hex.joined())!
    }

    // Not the token itself: descriptions end up in logs.
    public var description: String { "ResumeToken(…)" }
}

extension String {
    /// Whether this is exactly `length` digits from 0-9 and a-f: the form of Parley's random
    /// tokens and ids.
    func isLowercaseHex(length: Int) -> Bool {
        utf8.count == length
            && utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }
}
