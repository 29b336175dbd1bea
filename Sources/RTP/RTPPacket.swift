/// An RTP data packet (RFC 3550 section 5.1): the fixed 12-byte header, the CSRC list, an
/// optional header extension, the payload and optional padding.
///
/// ```
///  0                   1                   2                   3
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers             |
/// ```
public struct RTPPacket: Hashable, Sendable {
    /// The fixed header before the CSRC list; also what the in-place accessors need.
    public static let fixedHeaderLength = 12

    public var marker: Bool
    /// Seven bits; encoding ignores the top bit.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// At most 15 (the CC field is four bits); encoding writes only the first 15.
    public var csrcs: [UInt32]
    public var headerExtension: RTPHeaderExtension?
    public var payload: ArraySlice<UInt8>
    /// Bytes of padding after the payload, the count byte included; 0 means the P bit is clear.
    /// Encoding writes zeros followed by the count, as RFC 3550 section 5.1 describes.
    public var paddingLength: UInt8

    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        headerExtension: RTPHeaderExtension? = nil,
        payload: ArraySlice<UInt8>,
        paddingLength: UInt8 = 0
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// Decodes a datagram. The payload is a slice of `bytes`, not a copy: the forwarding path
    /// touches the header only and hands the payload on as it is.
    public init(decoding bytes: ArraySlice<UInt8>) throws(RTPDecodingError) {
        var reader = ByteReader(bytes)
        guard let first = reader.readUInt8(), let second = reader.readUInt8(),
            let sequenceNumber = reader.readUInt16(), let timestamp = reader.readUInt32(),
            let ssrc = reader.readUInt32()
        else { throw .truncated }
        guard first >> 6 == 2 else { throw .badVersion }

        let csrcCount = Int(first & 0x0F)
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(csrcCount)
        for _ in 0..<csrcCount {
            guard let csrc = reader.readUInt32() else { throw .truncated }
            csrcs.append(csrc)
        }

        var headerExtension: RTPHeaderExtension?
        if first & 0x10 != 0 {
            guard let profile = reader.readUInt16(), let words = reader.readUInt16() else { throw .truncated }
            guard let data = reader.readBytes(Int(words) * 4) else { throw .badExtensionLength }
            headerExtension = RTPHeaderExtension(profile: profile, data: Array(data))
        }

        // The padding count is the packet's last byte and counts itself, so it is at least 1
        // and can eat into the payload but never into the header (RFC 3550 section 5.1).
        var payload = reader.rest
        var paddingLength: UInt8 = 0
        if first & 0x20 != 0 {
            guard let count = payload.last, count > 0, Int(count) <= payload.count else { throw .badPadding }
            paddingLength = count
            payload = payload.dropLast(Int(count))
        }

        self.marker = second & 0x80 != 0
        self.payloadType = second & 0x7F
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingLength = paddingLength
    }

    public init(decoding bytes: [UInt8]) throws(RTPDecodingError) {
        try self.init(decoding: bytes[...])
    }

    /// Encodes the packet. For a packet decoded without padding this gives back the original
    /// bytes exactly; with padding, the padding bytes other than the count come back as zeros.
    public func encode() -> [UInt8] {
        let csrcs = self.csrcs.prefix(15)
        let extensionWords = headerExtension.map(\.wordCount) ?? 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            Self.fixedHeaderLength + 4 * csrcs.count + (headerExtension == nil ? 0 : 4 + 4 * extensionWords)
                + payload.count + Int(paddingLength))

        var first: UInt8 = 0x80 | UInt8(csrcs.count)
        if paddingLength > 0 { first |= 0x20 }
        if headerExtension != nil { first |= 0x10 }
        bytes.append(first)
        bytes.append((marker ? 0x80 : 0) | payloadType & 0x7F)
        bytes.appendUInt16(sequenceNumber)
        bytes.appendUInt32(timestamp)
        bytes.appendUInt32(ssrc)
        for csrc in csrcs { bytes.appendUInt32(csrc) }
        if let headerExtension {
            bytes.appendUInt16(headerExtension.profile)
            bytes.appendUInt16(UInt16(extensionWords))
            let start = bytes.count
            bytes.append(contentsOf: headerExtension.data.prefix(4 * extensionWords))
            bytes.padToWordBoundary(from: start)
        }
        bytes.append(contentsOf: payload)
        if paddingLength > 0 {
            bytes.append(contentsOf: repeatElement(0, count: Int(paddingLength) - 1))
            bytes.append(paddingLength)
        }
        return bytes
    }
}
