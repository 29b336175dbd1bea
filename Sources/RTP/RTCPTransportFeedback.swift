/// Transport-wide congestion control feedback, RTPFB FMT 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1): for a run of
/// transport-wide sequence numbers, whether each packet arrived and how long after the one
/// before it. The sender's bandwidth estimator (Google congestion control) lives on this.
///
/// ```
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |  ...
/// |  recv delta   |  recv delta   | ...                           |
/// ```
/// Chunks give a status symbol per packet, either as a run (one symbol repeated up to 8191
/// times) or as a vector of 14 one-bit or 7 two-bit symbols. Each received packet then has a
/// delta: one unsigned byte when "small" (0...255), two signed bytes when "large".
public struct RTCPTransportFeedback: Hashable, Sendable {
    /// The unit of receive deltas.
    public static let deltaUnitMicroseconds = 250
    /// The unit of the reference time.
    public static let referenceTimeUnitMilliseconds = 64

    /// One packet's fate, as ``packets`` lists them.
    public struct PacketStatus: Hashable, Sendable {
        public var sequenceNumber: UInt16
        /// Arrival time after the previous received packet (after the reference time for the
        /// first), in 250 µs units; `nil` when the packet was not received.
        public var receiveDelta: Int16?

        public init(sequenceNumber: UInt16, receiveDelta: Int16?) {
            self.sequenceNumber = sequenceNumber
            self.receiveDelta = receiveDelta
        }

        public var isReceived: Bool { receiveDelta != nil }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// The transport-wide sequence number of the first packet described.
    public var baseSequenceNumber: UInt16
    /// Signed 24 bits in 64 ms units; encoding keeps the low 24 bits.
    public var referenceTime: Int32
    /// Counts feedback packets, so the sender can tell a lost feedback from a late one.
    public var feedbackPacketCount: UInt8
    /// One entry per packet from `baseSequenceNumber` on: its delta in 250 µs units, or `nil`
    /// when it was not received. At most 65535 (the status count is 16 bits); encoding writes
    /// the first 65535.
    public var receiveDeltas: [Int16?]

    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
        feedbackPacketCount: UInt8, receiveDeltas: [Int16?]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.receiveDeltas = receiveDeltas
    }

    /// Each packet with its sequence number, counting up (and wrapping) from the base.
    public var packets: [PacketStatus] {
        receiveDeltas.enumerated().map { offset, delta in
            PacketStatus(sequenceNumber: baseSequenceNumber &+ UInt16(truncatingIfNeeded: offset), receiveDelta: delta)
        }
    }

    /// The two-bit status symbols (section 3.1.1).
    enum Symbol: UInt8 {
        case notReceived = 0
        case receivedSmallDelta = 1
        case receivedLargeDelta = 2

        init(_ delta: Int16?) {
            guard let delta else {
                self = .notReceived
                return
            }
            self = (0...255).contains(delta) ? .receivedSmallDelta : .receivedLargeDelta
        }
    }

    static let maximumRunLength = 0x1FFF
    static let oneBitVectorCapacity = 14
    static let twoBitVectorCapacity = 7

    init(body: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let sender = reader.readUInt32(), let media = reader.readUInt32(),
            let base = reader.readUInt16(), let statusCount = reader.readUInt16().map({ Int($0) }),
            let referenceTime = reader.readUInt24(), let feedbackCount = reader.readUInt8()
        else { throw .malformedTransportFeedback }

        // Every chunk is read from the packet, so a forged status count cannot spin this loop
        // beyond the packet's size; it can only ask for up to 65535 entries.
        var symbols: [Symbol] = []
        symbols.reserveCapacity(statusCount)
        while symbols.count < statusCount {
            guard let chunk = reader.readUInt16() else { throw .malformedTransportFeedback }
            let left = statusCount - symbols.count
            if chunk & 0x8000 == 0 {
                // A run of zero packets says nothing, whatever its symbol; skip it.
                let run = min(Int(chunk & 0x1FFF), left)
                guard run > 0 else { continue }
                guard let symbol = Symbol(rawValue: UInt8(chunk >> 13)) else { throw .malformedTransportFeedback }
                symbols.append(contentsOf: repeatElement(symbol, count: run))
            } else if chunk & 0x4000 == 0 {
                for position in 0..<min(Self.oneBitVectorCapacity, left) {
                    let bit = (chunk >> (13 - position)) & 1
                    symbols.append(bit == 0 ? .notReceived : .receivedSmallDelta)
                }
            } else {
                for position in 0..<min(Self.twoBitVectorCapacity, left) {
                    guard let symbol = Symbol(rawValue: UInt8((chunk >> (12 - 2 * position)) & 3)) else {
                        throw .malformedTransportFeedback
                    }
                    symbols.append(symbol)
                }
            }
        }

        var deltas: [Int16?] = []
        deltas.reserveCapacity(statusCount)
        for symbol in symbols {
            switch symbol {
            case .notReceived:
                deltas.append(nil)
            case .receivedSmallDelta:
                guard let delta = reader.readUInt8() else { throw .malformedTransportFeedback }
                deltas.append(Int16(delta))
            case .receivedLargeDelta:
                guard let delta = reader.readUInt16() else { throw .malformedTransportFeedback }
                deltas.append(Int16(bitPattern: delta))
            }
        }
        // What follows the deltas is zero padding to the word boundary.
        self.init(
            senderSSRC: sender, mediaSSRC: media, baseSequenceNumber: base,
            referenceTime: Int32(bitPattern: referenceTime << 8) >> 8, feedbackPacketCount: feedbackCount,
            receiveDeltas: deltas)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        let deltas = receiveDeltas.prefix(Int(UInt16.max))
        let symbols = deltas.map(Symbol.init)
        bytes.appendUInt32(senderSSRC)
        bytes.appendUInt32(mediaSSRC)
        bytes.appendUInt16(baseSequenceNumber)
        bytes.appendUInt16(UInt16(deltas.count))
        bytes.appendUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        bytes.append(feedbackPacketCount)
        for chunk in Self.chunks(for: symbols) { bytes.appendUInt16(chunk) }
        for delta in deltas {
            guard let delta else { continue }
            if (0...255).contains(delta) {
                bytes.append(UInt8(delta))
            } else {
                bytes.appendUInt16(UInt16(bitPattern: delta))
            }
        }
    }

    /// Greedy chunking: a run when one symbol repeats at least as long as a one-bit vector
    /// would cover (or to the end), else a one-bit vector when no large delta is in its
    /// window, else a run when it still beats a two-bit vector, else a two-bit vector.
    static func chunks(for symbols: [Symbol]) -> [UInt16] {
        var chunks: [UInt16] = []
        var index = 0
        while index < symbols.count {
            let remaining = symbols.count - index
            var run = 1
            while run < min(remaining, maximumRunLength), symbols[index + run] == symbols[index] { run += 1 }
            let oneBitWindow = min(oneBitVectorCapacity, remaining)
            if run >= oneBitVectorCapacity || run == remaining {
                chunks.append(UInt16(symbols[index].rawValue) << 13 | UInt16(run))
                index += run
            } else if !symbols[index..<index + oneBitWindow].contains(.receivedLargeDelta) {
                var chunk: UInt16 = 0x8000
                for position in 0..<oneBitWindow where symbols[index + position] == .receivedSmallDelta {
                    chunk |= 1 << (13 - position)
                }
                chunks.append(chunk)
                index += oneBitWindow
            } else if run >= twoBitVectorCapacity {
                chunks.append(UInt16(symbols[index].rawValue) << 13 | UInt16(run))
                index += run
            } else {
                let window = min(twoBitVectorCapacity, remaining)
                var chunk: UInt16 = 0xC000
                for position in 0..<window {
                    chunk |= UInt16(symbols[index + position].rawValue) << (12 - 2 * position)
                }
                chunks.append(chunk)
                index += window
            }
        }
        return chunks
    }
}
