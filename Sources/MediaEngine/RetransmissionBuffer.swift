/// The last packets sent on one SSRC, by sequence number, so a NACK (RFC 4585 section 6.2.1)
/// can be answered by sending a lost packet again.
///
/// A fixed ring: slot `sequenceNumber % capacity`. A packet older than `capacity` packets is
/// gone, which at video rates is a second or so: later than that a retransmission would come
/// too late for the browser's jitter buffer anyway.
struct RetransmissionBuffer {
    private var slots: [(sequenceNumber: UInt16, packet: [UInt8])?]

    /// - Parameter capacity: a power of two up to 32768, so that slots never alias within a
    ///   wrap of the 16-bit sequence number.
    init(capacity: Int) {
        precondition(
            capacity > 0 && capacity <= 32768 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        slots = Array(repeating: nil, count: capacity)
    }

    mutating func store(_ packet: [UInt8], sequenceNumber: UInt16) {
        slots[Int(sequenceNumber) & (slots.count - 1)] = (sequenceNumber, packet)
    }

    /// The packet sent with this sequence number, if it is still held.
    func packet(sequenceNumber: UInt16) -> [UInt8]? {
        guard let slot = slots[Int(sequenceNumber) & (slots.count - 1)], slot.sequenceNumber == sequenceNumber else {
            return nil
        }
        return slot.packet
    }
}
