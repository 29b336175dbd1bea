import Testing

@testable import MediaEngine

/// The ring of sent packets NACKs are answered from.
@Suite struct RetransmissionBufferTests {
    /// Each packet comes back as it was stored, whatever its size, until the packet
    /// `capacity` sequence numbers later takes its slot.
    @Test func packetsAreKeptUntilTheirSlotIsTaken() {
        var buffer = RetransmissionBuffer(capacity: 4)
        let large = [UInt8](repeating: 0xAB, count: RetransmissionBuffer.slotSize)
        buffer.store(large, sequenceNumber: 65534)
        buffer.store([1, 2, 3], sequenceNumber: 65535)
        buffer.store([4], sequenceNumber: 0)
        #expect(buffer.packet(sequenceNumber: 65534) == large)
        #expect(buffer.packet(sequenceNumber: 65535) == [1, 2, 3])
        #expect(buffer.packet(sequenceNumber: 0) == [4])
        #expect(buffer.packet(sequenceNumber: 1) == nil)
        // 2 takes 65534's slot; a smaller packet leaves nothing of the larger one behind.
        buffer.store([5, 6], sequenceNumber: 2)
        #expect(buffer.packet(sequenceNumber: 65534) == nil)
        #expect(buffer.packet(sequenceNumber: 2) == [5, 6])
    }

    /// A packet larger than a slot is not kept, and does not leave the slot's previous
    /// packet answering for its sequence number either.
    @Test func aPacketLargerThanASlotIsNotKept() {
        var buffer = RetransmissionBuffer(capacity: 4)
        buffer.store([7, 7], sequenceNumber: 1)
        buffer.store([UInt8](repeating: 1, count: RetransmissionBuffer.slotSize + 1), sequenceNumber: 5)
        #expect(buffer.packet(sequenceNumber: 5) == nil)
        #expect(buffer.packet(sequenceNumber: 1) == nil)
    }
}
