/// One packet of an RTCP compound datagram (RFC 3550 section 6).
///
/// Every RTCP packet starts with the same four bytes, then a body whose length the header
/// gives in 32-bit words minus one:
/// ```
/// |V=2|P|  count  |      PT       |             length            |
/// ```
/// `count` is the report count, source count or, for feedback (RFC 4585 section 6.1), the
/// feedback message type (FMT). Types this module does not model are kept as ``RawRTCPPacket``
/// and re-encoded unchanged, so an SFU can forward what it does not understand.
public enum RTCPPacket: Hashable, Sendable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    /// RTPFB FMT 1 (RFC 4585 section 6.2.1).
    case genericNACK(RTCPGenericNACK)
    /// RTPFB FMT 15 (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).
    case transportFeedback(RTCPTransportFeedback)
    /// PSFB FMT 1 (RFC 4585 section 6.3.1).
    case pictureLossIndication(RTCPPictureLossIndication)
    /// PSFB FMT 4 (RFC 5104 section 4.3.1).
    case fullIntraRequest(RTCPFullIntraRequest)
    /// PSFB FMT 15 with the "REMB" identifier (draft-alvestrand-rmcat-remb-03 section 2.2).
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    case raw(RawRTCPPacket)

    /// Packet type values (RFC 3550 section 12.1, RFC 4585 section 6.1).
    public enum PacketType {
        public static let senderReport: UInt8 = 200
        public static let receiverReport: UInt8 = 201
        public static let sourceDescription: UInt8 = 202
        public static let goodbye: UInt8 = 203
        public static let application: UInt8 = 204
        public static let transportLayerFeedback: UInt8 = 205
        public static let payloadSpecificFeedback: UInt8 = 206
        public static let extendedReport: UInt8 = 207
    }

    /// Feedback message types in the count field (RFC 4585 section 6.2, 6.3; RFC 5104 4.3).
    enum FeedbackFormat {
        static let genericNACK: UInt8 = 1
        static let transportWideCongestionControl: UInt8 = 15
        static let pictureLossIndication: UInt8 = 1
        static let fullIntraRequest: UInt8 = 4
        static let applicationLayerFeedback: UInt8 = 15
    }

    /// Splits a compound datagram into its packets, each checked against its own length field.
    ///
    /// A padded packet's padding is removed before its body is read, except for a
    /// ``RawRTCPPacket``, which keeps its body as it came. RFC 3550 section 6.4.1 pads only the
    /// last packet of a compound, but libwebrtc pads transport-wide feedback wherever it sits
    /// in the datagram (and accepts padding anywhere), so padding is accepted on any packet:
    /// refusing it would drop Chromium's congestion feedback.
    /// The RFC 3550 rule that a compound starts with SR or RR is not enforced: reduced-size
    /// RTCP (RFC 5506), which browsers use for feedback, drops it.
    public static func decodeCompound(_ datagram: ArraySlice<UInt8>) throws(RTPDecodingError) -> [RTCPPacket] {
        guard !datagram.isEmpty else { throw .truncated }
        var packets: [RTCPPacket] = []
        var reader = ByteReader(datagram)
        while !reader.isAtEnd {
            guard let first = reader.readUInt8(), let packetType = reader.readUInt8(),
                let words = reader.readUInt16()
            else { throw .truncated }
            guard first >> 6 == 2 else { throw .badVersion }
            guard let wholeBody = reader.readBytes(Int(words) * 4) else { throw .badLength }
            let count = first & 0x1F
            let isPadded = first & 0x20 != 0
            var body = wholeBody
            if isPadded {
                guard let padding = body.last, padding > 0, Int(padding) <= body.count else { throw .badPadding }
                body = body.dropLast(Int(padding))
            }
            if let packet = try decodeBody(body, packetType: packetType, count: count) {
                packets.append(packet)
            } else {
                let raw = RawRTCPPacket(
                    packetType: packetType, count: count, body: Array(wholeBody), isPadded: isPadded)
                packets.append(.raw(raw))
            }
        }
        return packets
    }

    public static func decodeCompound(_ datagram: [UInt8]) throws(RTPDecodingError) -> [RTCPPacket] {
        try decodeCompound(datagram[...])
    }

    /// Encodes packets one after another into one compound datagram.
    public static func encodeCompound(_ packets: [RTCPPacket]) -> [UInt8] {
        var bytes: [UInt8] = []
        for packet in packets { packet.encode(into: &bytes) }
        return bytes
    }

    /// Encodes this packet alone.
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends this packet's bytes, padded with zeros to whole words.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .senderReport(let report):
            Self.appendPacket(Self.PacketType.senderReport, count: report.reportBlocks.count, into: &bytes) {
                report.encodeBody(into: &$0)
            }
        case .receiverReport(let report):
            Self.appendPacket(Self.PacketType.receiverReport, count: report.reportBlocks.count, into: &bytes) {
                report.encodeBody(into: &$0)
            }
        case .sourceDescription(let description):
            Self.appendPacket(Self.PacketType.sourceDescription, count: description.chunks.count, into: &bytes) {
                description.encodeBody(into: &$0)
            }
        case .goodbye(let goodbye):
            Self.appendPacket(Self.PacketType.goodbye, count: goodbye.sources.count, into: &bytes) {
                goodbye.encodeBody(into: &$0)
            }
        case .genericNACK(let nack):
            Self.appendPacket(
                Self.PacketType.transportLayerFeedback, count: Int(FeedbackFormat.genericNACK), into: &bytes
            ) { nack.encodeBody(into: &$0) }
        case .transportFeedback(let feedback):
            Self.appendPacket(
                Self.PacketType.transportLayerFeedback, count: Int(FeedbackFormat.transportWideCongestionControl),
                into: &bytes
            ) { feedback.encodeBody(into: &$0) }
        case .pictureLossIndication(let indication):
            Self.appendPacket(
                Self.PacketType.payloadSpecificFeedback, count: Int(FeedbackFormat.pictureLossIndication),
                into: &bytes
            ) { indication.encodeBody(into: &$0) }
        case .fullIntraRequest(let request):
            Self.appendPacket(
                Self.PacketType.payloadSpecificFeedback, count: Int(FeedbackFormat.fullIntraRequest), into: &bytes
            ) { request.encodeBody(into: &$0) }
        case .receiverEstimatedMaximumBitrate(let remb):
            Self.appendPacket(
                Self.PacketType.payloadSpecificFeedback, count: Int(FeedbackFormat.applicationLayerFeedback),
                into: &bytes
            ) { remb.encodeBody(into: &$0) }
        case .raw(let raw):
            Self.appendPacket(raw.packetType, count: Int(raw.count), isPadded: raw.isPadded, into: &bytes) {
                $0.append(contentsOf: raw.body)
            }
        }
    }

    /// The modelled packet for this type and count, or `nil` for one to keep raw.
    private static func decodeBody(
        _ body: ArraySlice<UInt8>, packetType: UInt8, count: UInt8
    ) throws(RTPDecodingError) -> RTCPPacket? {
        switch (packetType, count) {
        case (PacketType.senderReport, _):
            return .senderReport(try RTCPSenderReport(body: body, reportCount: Int(count)))
        case (PacketType.receiverReport, _):
            return .receiverReport(try RTCPReceiverReport(body: body, reportCount: Int(count)))
        case (PacketType.sourceDescription, _):
            return .sourceDescription(try RTCPSourceDescription(body: body, chunkCount: Int(count)))
        case (PacketType.goodbye, _):
            return .goodbye(try RTCPGoodbye(body: body, sourceCount: Int(count)))
        case (PacketType.transportLayerFeedback, FeedbackFormat.genericNACK):
            return .genericNACK(try RTCPGenericNACK(body: body))
        case (PacketType.transportLayerFeedback, FeedbackFormat.transportWideCongestionControl):
            return .transportFeedback(try RTCPTransportFeedback(body: body))
        case (PacketType.payloadSpecificFeedback, FeedbackFormat.pictureLossIndication):
            return .pictureLossIndication(try RTCPPictureLossIndication(body: body))
        case (PacketType.payloadSpecificFeedback, FeedbackFormat.fullIntraRequest):
            return .fullIntraRequest(try RTCPFullIntraRequest(body: body))
        case (PacketType.payloadSpecificFeedback, FeedbackFormat.applicationLayerFeedback)
        where RTCPReceiverEstimatedMaximumBitrate.hasIdentifier(body):
            return .receiverEstimatedMaximumBitrate(try RTCPReceiverEstimatedMaximumBitrate(body: body))
        default:
            return nil
        }
    }

    /// Writes the common header, the body, zero padding to a word boundary, then the length.
    /// Counts above 31 are cut to 5 bits: each packet type caps its list before calling.
    private static func appendPacket(
        _ packetType: UInt8, count: Int, isPadded: Bool = false, into bytes: inout [UInt8],
        body: (inout [UInt8]) -> Void
    ) {
        let start = bytes.count
        bytes.append(0x80 | (isPadded ? 0x20 : 0) | UInt8(truncatingIfNeeded: min(count, 31)))
        bytes.append(packetType)
        bytes.appendUInt16(0)
        body(&bytes)
        bytes.padToWordBoundary(from: start)
        // A packet over 65536 words (256 KiB) cannot be described; clamping keeps this total.
        bytes.setUInt16(UInt16(clamping: (bytes.count - start) / 4 - 1), at: start + 2)
    }
}

/// An RTCP packet of a type or feedback format this module does not model (APP, XR, TMMBR,
/// SLI, ...), kept as it came so it can be forwarded unchanged.
public struct RawRTCPPacket: Hashable, Sendable {
    public var packetType: UInt8
    /// The five-bit count or FMT field.
    public var count: UInt8
    /// Everything after the four-byte header, including the padding when ``isPadded``.
    public var body: [UInt8]
    /// The P bit: the body's last byte counts the padding at its end.
    public var isPadded: Bool

    public init(packetType: UInt8, count: UInt8, body: [UInt8], isPadded: Bool = false) {
        self.packetType = packetType
        self.count = count
        self.body = body
        self.isPadded = isPadded
    }
}
