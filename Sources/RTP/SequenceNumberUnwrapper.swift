/// Turns 16-bit RTP sequence numbers into monotonic 64-bit extended ones.
///
/// Each value is taken as the one nearest the previous value (within half the 16-bit range),
/// so wrap-around from 65535 to 0 counts up and a late packet maps to a lower number, as in
/// RFC 3550 appendix A.1 and libwebrtc's `SeqNumUnwrapper`. Like libwebrtc, a reordered value
/// moves the reference back, and a step back that would go below zero is taken forward: the
/// first value is the origin and extended numbers never go negative.
public struct SequenceNumberUnwrapper: Hashable, Sendable {
    private var core = WrappingCounterUnwrapper<UInt16>()

    public init() {}

    /// The extended value of the last call, or `nil` before the first.
    public var lastUnwrapped: Int64? { core.lastUnwrapped }

    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        core.unwrap(sequenceNumber)
    }
}

/// Turns 32-bit RTP timestamps into monotonic 64-bit extended ones, by the same rule as
/// ``SequenceNumberUnwrapper`` over the 32-bit range.
public struct TimestampUnwrapper: Hashable, Sendable {
    private var core = WrappingCounterUnwrapper<UInt32>()

    public init() {}

    /// The extended value of the last call, or `nil` before the first.
    public var lastUnwrapped: Int64? { core.lastUnwrapped }

    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        core.unwrap(timestamp)
    }
}

/// The shared rule. Internal and generic only within this module, so callers elsewhere go
/// through the concrete types above and never pay for unspecialised generics.
struct WrappingCounterUnwrapper<Value: FixedWidthInteger & UnsignedInteger & Sendable>: Hashable, Sendable {
    private(set) var lastUnwrapped: Int64?

    mutating func unwrap(_ value: Value) -> Int64 {
        guard let last = lastUnwrapped else {
            lastUnwrapped = Int64(value)
            return Int64(value)
        }
        let lastValue = Value(truncatingIfNeeded: last)
        let forward = value &- lastValue
        let half = Value(1) << (Value.bitWidth - 1)
        // Exactly half the range apart is ambiguous; like libwebrtc's IsNewerSequenceNumber,
        // the larger raw value counts as newer so the answer does not depend on arrival order.
        let isNewer = forward == half ? value > lastValue : forward != 0 && forward < half
        let range = Int64(1) << Value.bitWidth
        var delta = Int64(forward)
        if !isNewer && delta != 0 {
            delta -= range
            if last &+ delta < 0 { delta += range }
        }
        // Wrapping add: reaching 2^63 takes billions of packets, but no input may trap.
        let unwrapped = last &+ delta
        lastUnwrapped = unwrapped
        return unwrapped
    }
}
