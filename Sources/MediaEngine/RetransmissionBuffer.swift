/// The last packets sent on one SSRC, by sequence number, so a NACK (RFC 4585 section 6.2.1)
/// can be answered by sending a lost packet again.
///
/// A fixed ring: slot `sequenceNumber % capacity`. A packet older than `capacity` packets is
/// gone, which at video rates is a second or so: later than that a retransmission would come
/// too late for the browser's jitter buffer anyway.
struct RetransmissionBuffer {
    private var sequenceNumbers: [UInt16]
    private var packets: [[UInt8]]

    /// - Parameter capacity: a power of two up to 32768, so that slots never alias within a
    ///   wrap of the 16-bit sequence number.
    init(capacity: Int) {
        precondition(
            capacity > 0 && capacity <= 32768 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        sequenceNumbers = Array(repeating: 0, count: capacity)
        packets = Array(repeating: [], count: capacity)
    }

    /// Copies the packet into its slot. Each slot keeps its storage from one packet to the
    /// next, so once warm, storing allocates nothing, and the caller's array stays its own.
    mutating func store(_ packet: [UInt8], sequenceNumber: UInt16) {
        let slot = Int(sequenceNumber) & (packets.count - 1)
        sequenceNumbers[slot] = sequenceNumber
        packets[slot].removeAll(keepingCapacity: true)
        packets[slot].append(contentsOf: packet)
    }

    /// The packet sent with this sequence number, if it is still held.
    func packet(sequenceNumber: UInt16) -> [UInt8]? {
        let slot = Int(sequenceNumber) & (packets.count - 1)
        guard sequenceNumbers[slot] == sequenceNumber, !packets[slot].isEmpty else { return nil }
        return packets[slot]
    }
}
