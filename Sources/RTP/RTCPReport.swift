/// One reception report block (RFC 3550 section 6.4.1): what the reporter has received from
/// one source since the last report.
public struct RTCPReportBlock: Hashable, Sendable {
    public static let encodedLength = 24

    public var ssrc: UInt32
    /// Fraction of packets lost since the last report, in 1/256ths.
    public var fractionLost: UInt8
    /// Packets expected minus packets received; signed, 24 bits on the wire, so duplicates can
    /// make it negative. Encoding clamps it to -8388608...8388607.
    public var cumulativeLost: Int32
    /// The highest sequence number received, extended by the count of wrap-arounds.
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in timestamp units.
    public var jitter: UInt32
    /// The middle 32 bits of the NTP timestamp of the last SR received from this source.
    public var lastSenderReport: UInt32
    /// Time since that SR arrived, in 1/65536 seconds.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequenceNumber: UInt32,
        jitter: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    init?(reading reader: inout ByteReader) {
        guard let ssrc = reader.readUInt32(), let loss = reader.readUInt32(),
            let highest = reader.readUInt32(), let jitter = reader.readUInt32(),
            let lastSenderReport = reader.readUInt32(), let delay = reader.readUInt32()
        else { return nil }
        self.ssrc = ssrc
        self.fractionLost = UInt8(truncatingIfNeeded: loss >> 24)
        // Shift the 24-bit field to the top and back down to sign-extend it.
        self.cumulativeLost = Int32(bitPattern: loss << 8) >> 8
        self.extendedHighestSequenceNumber = highest
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delay
    }

    func encode(into bytes: inout [UInt8]) {
        let lost = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        bytes.appendUInt32(ssrc)
        bytes.appendUInt32(UInt32(fractionLost) << 24 | UInt32(bitPattern: lost) & 0xFF_FFFF)
        bytes.appendUInt32(extendedHighestSequenceNumber)
        bytes.appendUInt32(jitter)
        bytes.appendUInt32(lastSenderReport)
        bytes.appendUInt32(delaySinceLastSenderReport)
    }

    /// Reads `count` blocks; `nil` when the body holds fewer.
    static func readBlocks(_ count: Int, from reader: inout ByteReader) -> [RTCPReportBlock]? {
        guard reader.remaining >= count * encodedLength else { return nil }
        var blocks: [RTCPReportBlock] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count {
            guard let block = RTCPReportBlock(reading: &reader) else { return nil }
            blocks.append(block)
        }
        return blocks
    }
}

/// A sender report, packet type 200 (RFC 3550 section 6.4.1): the sender's clocks and counts,
/// then reception report blocks. At most 31 blocks fit the count field; encoding writes the
/// first 31. Profile-specific extensions after the blocks are ignored.
public struct RTCPSenderReport: Hashable, Sendable {
    public var ssrc: UInt32
    /// Wallclock time as a 64-bit NTP timestamp (seconds since 1900 in the top 32 bits).
    public var ntpTimestamp: UInt64
    /// The same instant on the RTP timestamp clock: this is what lip sync aligns streams on.
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    /// Payload bytes sent, headers and padding excluded.
    public var octetCount: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(
        ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
        reportBlocks: [RTCPReportBlock] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
    }

    init(body: ArraySlice<UInt8>, reportCount: Int) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let ssrc = reader.readUInt32(), let ntp = reader.readUInt64(), let rtp = reader.readUInt32(),
            let packets = reader.readUInt32(), let octets = reader.readUInt32(),
            let blocks = RTCPReportBlock.readBlocks(reportCount, from: &reader)
        else { throw .malformedReport }
        self.init(
            ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp, packetCount: packets, octetCount: octets,
            reportBlocks: blocks)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        bytes.appendUInt32(ssrc)
        bytes.appendUInt64(ntpTimestamp)
        bytes.appendUInt32(rtpTimestamp)
        bytes.appendUInt32(packetCount)
        bytes.appendUInt32(octetCount)
        for block in reportBlocks.prefix(31) { block.encode(into: &bytes) }
    }
}

/// A receiver report, packet type 201 (RFC 3550 section 6.4.2): the reporter's SSRC and
/// reception report blocks. At most 31 blocks; profile-specific extensions are ignored.
public struct RTCPReceiverReport: Hashable, Sendable {
    public var ssrc: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(ssrc: UInt32, reportBlocks: [RTCPReportBlock] = []) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
    }

    init(body: ArraySlice<UInt8>, reportCount: Int) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        guard let ssrc = reader.readUInt32(), let blocks = RTCPReportBlock.readBlocks(reportCount, from: &reader)
        else { throw .malformedReport }
        self.init(ssrc: ssrc, reportBlocks: blocks)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        bytes.appendUInt32(ssrc)
        for block in reportBlocks.prefix(31) { block.encode(into: &bytes) }
    }
}
