/// A wall-clock instant in seconds since the Unix epoch, passed in by the caller.
///
/// The TURN machine reads no clock. Wall time (not a monotonic clock) is used because TURN REST
/// usernames carry a Unix expiry time that must be compared with it.
public struct UnixTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.seconds < rhs.seconds }
    public static func + (lhs: UnixTime, rhs: Double) -> UnixTime { UnixTime(seconds: lhs.seconds + rhs) }
    public static func - (lhs: UnixTime, rhs: UnixTime) -> Double { lhs.seconds - rhs.seconds }

    public var description: String { "\(seconds)" }
}
