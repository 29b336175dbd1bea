/// The last packets sent on one SSRC, by sequence number, so a NACK (RFC 4585 section 6.2.1)
/// can be answered by sending a lost packet again.
///
/// A fixed ring: slot `sequenceNumber % capacity`. A packet older than `capacity` packets is
/// gone, which at video rates is a second or so: later than that a retransmission would come
/// too late for the browser's jitter buffer anyway.
///
/// Every slot is a fixed stretch of one array allocated with the buffer, rather than an array of
/// its own: storing a packet is then a copy into memory that is already there, never an
/// allocation, however the sizes of the packets that pass through a slot vary.
struct RetransmissionBuffer {
    /// The largest packet kept: the largest RTP packet SRTP takes (1,500 bytes) with its
    /// authentication tag, rounded up.
    static let slotSize = 1536

    private var bytes: [UInt8]
    /// Each slot's packet length; 0 for a slot that holds none.
    private var lengths: [UInt16]
    private var sequenceNumbers: [UInt16]

    /// - Parameter capacity: a power of two up to 32768, so that slots never alias within a
    ///   wrap of the 16-bit sequence number.
    init(capacity: Int) {
        precondition(
            capacity > 0 && capacity <= 32768 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        bytes = Array(repeating: 0, count: capacity * Self.slotSize)
        lengths = Array(repeating: 0, count: capacity)
        sequenceNumbers = Array(repeating: 0, count: capacity)
    }

    /// Copies the packet into its slot, where it replaces the one sent `capacity` packets
    /// earlier. A packet larger than ``slotSize`` is not kept (and empties the slot).
    mutating func store(_ packet: [UInt8], sequenceNumber: UInt16) {
        let slot = Int(sequenceNumber) & (lengths.count - 1)
        guard packet.count <= Self.slotSize else {
            lengths[slot] = 0
            return
        }
        sequenceNumbers[slot] = sequenceNumber
        lengths[slot] = UInt16(packet.count)
        let start = slot * Self.slotSize
        bytes.withUnsafeMutableBytes { destination in
            packet.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: destination[start..<start + source.count]).copyMemory(
                    from: source)
            }
        }
    }

    /// The packet sent with this sequence number, if it is still held.
    func packet(sequenceNumber: UInt16) -> [UInt8]? {
        let slot = Int(sequenceNumber) & (lengths.count - 1)
        guard sequenceNumbers[slot] == sequenceNumber, lengths[slot] > 0 else { return nil }
        let start = slot * Self.slotSize
        return Array(bytes[start..<start + Int(lengths[slot])])
    }
}
