/// Generic NACK, RTPFB FMT 1 (RFC 4585 section 6.2.1): the receiver asks for retransmission
/// of lost packets, each item naming one packet ID and a bitmask of the 16 after it.
public struct RTCPGenericNACK: Hashable, Sendable {
    /// One FCI entry: `packetID` is lost, and bit `i` of `lostBitmask` (least significant
    /// first) says packet `packetID + i + 1` is lost too.
    public struct Item: Hashable, Sendable {
        public var packetID: UInt16
        public var lostBitmask: UInt16

        public init(packetID: UInt16, lostBitmask: UInt16) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }

        /// The lost sequence numbers this item names, ascending, wrapping past 65535.
        public var lostSequenceNumbers: [UInt16] {
            var lost = [packetID]
            for bit in 0..<16 where lostBitmask & (1 << bit) != 0 {
                lost.append(packetID &+ UInt16(bit + 1))
            }
            return lost
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var items: [Item]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, items: [Item]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.items = items
    }

    /// Packs lost sequence numbers into items. Give them in sending order (ascending, with
    /// wrap-around): each number within 16 after the current item's packet ID joins its
    /// bitmask, any other starts a new item, so an unordered list still loses nothing but may
    /// take more items than needed.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: [UInt16]) {
        var items: [Item] = []
        for sequenceNumber in lostSequenceNumbers {
            if let last = items.last {
                let distance = sequenceNumber &- last.packetID
                if distance == 0 { continue }
                if distance <= 16 {
                    items[items.count - 1].lostBitmask |= 1 << (distance - 1)
                    continue
                }
            }
            items.append(Item(packetID: sequenceNumber, lostBitmask: 0))
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, items: items)
    }

    /// Every lost sequence number the items name, item by item.
    public var lostSequenceNumbers: [UInt16] { items.flatMap(\.lostSequenceNumbers) }

    init(body: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let sender = reader.readUInt32(), let media = reader.readUInt32() else { throw .malformedFeedback }
        var items: [Item] = []
        items.reserveCapacity(reader.remaining / 4)
        while let packetID = reader.readUInt16(), let bitmask = reader.readUInt16() {
            items.append(Item(packetID: packetID, lostBitmask: bitmask))
        }
        self.init(senderSSRC: sender, mediaSSRC: media, items: items)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        bytes.appendUInt32(senderSSRC)
        bytes.appendUInt32(mediaSSRC)
        for item in items {
            bytes.appendUInt16(item.packetID)
            bytes.appendUInt16(item.lostBitmask)
        }
    }
}

/// Picture loss indication, PSFB FMT 1 (RFC 4585 section 6.3.1): the decoder lost picture
/// data and asks the sender for a key frame. No FCI.
public struct RTCPPictureLossIndication: Hashable, Sendable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    init(body: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let sender = reader.readUInt32(), let media = reader.readUInt32() else { throw .malformedFeedback }
        self.init(senderSSRC: sender, mediaSSRC: media)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        bytes.appendUInt32(senderSSRC)
        bytes.appendUInt32(mediaSSRC)
    }
}

/// Full intra request, PSFB FMT 4 (RFC 5104 section 4.3.1): a key frame request per media
/// sender, where the sequence number tells a repeated request from a new one.
public struct RTCPFullIntraRequest: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var ssrc: UInt32
        /// Incremented by the requester for each new request to this SSRC.
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    /// RFC 5104 says 0: the targets are in the entries. Kept as sent.
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    init(body: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let sender = reader.readUInt32(), let media = reader.readUInt32() else { throw .malformedFeedback }
        var entries: [Entry] = []
        entries.reserveCapacity(reader.remaining / 8)
        // Each entry is SSRC, sequence number, then 24 reserved bits.
        while let ssrc = reader.readUInt32(), let sequenceNumber = reader.readUInt8(), reader.skip(3) {
            entries.append(Entry(ssrc: ssrc, sequenceNumber: sequenceNumber))
        }
        self.init(senderSSRC: sender, mediaSSRC: media, entries: entries)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        bytes.appendUInt32(senderSSRC)
        bytes.appendUInt32(mediaSSRC)
        for entry in entries {
            bytes.appendUInt32(entry.ssrc)
            bytes.append(entry.sequenceNumber)
            bytes.appendUInt24(0)
        }
    }
}

/// Receiver estimated maximum bitrate, PSFB FMT 15 with the "REMB" identifier
/// (draft-alvestrand-rmcat-remb-03 section 2.2): the receiver's bandwidth estimate for the
/// listed SSRCs, as an 18-bit mantissa times a power of two.
public struct RTCPReceiverEstimatedMaximumBitrate: Hashable, Sendable {
    static let identifier: [UInt8] = Array("REMB".utf8)
    static let maximumMantissa: UInt32 = 0x3_FFFF

    public var senderSSRC: UInt32
    /// The draft says 0; kept as sent.
    public var mediaSSRC: UInt32
    /// Six bits on the wire.
    public var exponent: UInt8
    /// Eighteen bits on the wire.
    public var mantissa: UInt32
    /// At most 255 (the count is one byte); encoding writes the first 255.
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, exponent: UInt8, mantissa: UInt32, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.exponent = exponent
        self.mantissa = mantissa
        self.ssrcs = ssrcs
    }

    /// Picks the smallest exponent whose mantissa fits 18 bits, rounding the bitrate down as
    /// libwebrtc does: an estimate should never claim more than was measured.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: [UInt32]) {
        var exponent: UInt8 = 0
        var mantissa = bitrate
        while mantissa > UInt64(Self.maximumMantissa) {
            mantissa >>= 1
            exponent += 1
        }
        self.init(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, exponent: exponent, mantissa: UInt32(mantissa),
            ssrcs: ssrcs)
    }

    /// Bits per second: mantissa × 2^exponent, saturating at `UInt64.max` for exponents the
    /// six-bit field allows but no real link needs.
    public var bitrate: UInt64 {
        let mantissa = UInt64(self.mantissa & Self.maximumMantissa)
        let exponent = Int(self.exponent & 0x3F)
        guard mantissa != 0 else { return 0 }
        guard mantissa.leadingZeroBitCount >= exponent else { return .max }
        return mantissa << exponent
    }

    /// True when the FCI, after the two SSRCs, starts with "REMB"; other application layer
    /// feedback stays raw.
    static func hasIdentifier(_ body: ArraySlice<UInt8>) -> Bool {
        body.count >= 12 && body.dropFirst(8).prefix(4).elementsEqual(identifier)
    }

    init(body: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let sender = reader.readUInt32(), let media = reader.readUInt32(), reader.skip(4),
            let count = reader.readUInt8(), let bitrate = reader.readUInt24()
        else { throw .malformedFeedback }
        var ssrcs: [UInt32] = []
        ssrcs.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let ssrc = reader.readUInt32() else { throw .malformedFeedback }
            ssrcs.append(ssrc)
        }
        self.init(
            senderSSRC: sender, mediaSSRC: media, exponent: UInt8(bitrate >> 18), mantissa: bitrate & 0x3_FFFF,
            ssrcs: ssrcs)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        let ssrcs = self.ssrcs.prefix(255)
        bytes.appendUInt32(senderSSRC)
        bytes.appendUInt32(mediaSSRC)
        bytes.append(contentsOf: Self.identifier)
        bytes.append(UInt8(ssrcs.count))
        bytes.appendUInt24(UInt32(exponent & 0x3F) << 18 | mantissa & Self.maximumMantissa)
        for ssrc in ssrcs { bytes.appendUInt32(ssrc) }
    }
}
