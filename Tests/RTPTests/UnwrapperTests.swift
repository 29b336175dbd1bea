import RTP
import Testing

@Suite struct UnwrapperTests {
    /// Counting through 65535 → 0 keeps going up.
    @Test func sequenceNumbersWrapForward() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.lastUnwrapped == nil)
        let unwrapped = [65534, 65535, 0, 1].map { unwrapper.unwrap($0) }
        #expect(unwrapped == [65534, 65535, 65536, 65537])
        #expect(unwrapper.lastUnwrapped == 65537)
    }

    /// A late packet from before the wrap maps below the newer ones, and the next in-order
    /// packet continues from the highest.
    @Test func reorderingAcrossTheWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        let unwrapped = [65535, 1, 0, 65534, 2].map { unwrapper.unwrap($0) }
        #expect(unwrapped == [65535, 65537, 65536, 65534, 65538])
    }

    /// Jumps just under half the range forward are forward; many of them wrap many times.
    @Test func largeStepsWrapRepeatedly() {
        var unwrapper = SequenceNumberUnwrapper()
        let raw = (0...10).map { UInt16(truncatingIfNeeded: $0 * 20000) }
        let unwrapped = raw.map { unwrapper.unwrap($0) }
        #expect(unwrapped == (0...10).map { Int64($0 * 20000) })
    }

    /// Exactly half the range apart, the larger raw value is the newer one.
    @Test func halfRangeTieBreak() {
        var forward = SequenceNumberUnwrapper()
        let unwrappedForward = [100, 32868].map { forward.unwrap($0) }
        #expect(unwrappedForward == [100, 32868])
        var backward = SequenceNumberUnwrapper()
        let unwrappedBackward = [40000, 7232].map { backward.unwrap($0) }
        #expect(unwrappedBackward == [40000, 7232])
    }

    /// Stepping back before the first value would go negative, so it is taken as forward.
    @Test func neverGoesNegative() {
        var unwrapper = SequenceNumberUnwrapper()
        let unwrapped = [0, 65535].map { unwrapper.unwrap($0) }
        #expect(unwrapped == [0, 65535])
    }

    /// Repeats map to the same extended value.
    @Test func duplicatesMapToTheSameValue() {
        var unwrapper = SequenceNumberUnwrapper()
        let unwrapped = [10, 10, 11, 11].map { unwrapper.unwrap($0) }
        #expect(unwrapped == [10, 10, 11, 11])
    }

    /// RTP timestamps wrap at 2^32 by the same rule, including reordering.
    @Test func timestampsWrapAt32Bits() {
        var unwrapper = TimestampUnwrapper()
        let raw: [UInt32] = [0xFFFF_FF00, 0x0000_0100, 0xFFFF_FFFF, 0x0000_0200]
        let unwrapped = raw.map { unwrapper.unwrap($0) }
        #expect(unwrapped == [0xFFFF_FF00, 0x1_0000_0100, 0xFFFF_FFFF, 0x1_0000_0200])
    }
}
