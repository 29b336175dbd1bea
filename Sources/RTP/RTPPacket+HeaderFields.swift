/// Reads and rewrites of single header fields in place, without decoding the packet.
///
/// An SFU rewrites the sequence number, SSRC and payload type of every packet it forwards
/// (simulcast layer switches, payload type mapping per receiver); decoding and re-encoding
/// would copy the payload each time. Each accessor checks only that the buffer holds a fixed
/// header with version 2, and returns `nil` or `false` otherwise instead of trapping.
extension RTPPacket {
    /// True when `packet` holds at least a fixed RTP header with version 2.
    public static func hasFixedHeader(_ packet: [UInt8]) -> Bool {
        packet.count >= fixedHeaderLength && packet[0] >> 6 == 2
    }

    public static func marker(in packet: [UInt8]) -> Bool? {
        hasFixedHeader(packet) ? packet[1] & 0x80 != 0 : nil
    }

    public static func payloadType(in packet: [UInt8]) -> UInt8? {
        hasFixedHeader(packet) ? packet[1] & 0x7F : nil
    }

    public static func sequenceNumber(in packet: [UInt8]) -> UInt16? {
        hasFixedHeader(packet) ? packet.uint16(at: 2) : nil
    }

    public static func timestamp(in packet: [UInt8]) -> UInt32? {
        hasFixedHeader(packet) ? packet.uint32(at: 4) : nil
    }

    public static func ssrc(in packet: [UInt8]) -> UInt32? {
        hasFixedHeader(packet) ? packet.uint32(at: 8) : nil
    }

    /// Sets the marker bit, leaving the payload type beside it alone.
    @discardableResult
    public static func setMarker(_ marker: Bool, in packet: inout [UInt8]) -> Bool {
        guard hasFixedHeader(packet) else { return false }
        packet[1] = (marker ? 0x80 : 0) | packet[1] & 0x7F
        return true
    }

    /// Sets the seven payload type bits, leaving the marker bit that shares their byte alone.
    @discardableResult
    public static func setPayloadType(_ payloadType: UInt8, in packet: inout [UInt8]) -> Bool {
        guard hasFixedHeader(packet) else { return false }
        packet[1] = packet[1] & 0x80 | payloadType & 0x7F
        return true
    }

    @discardableResult
    public static func setSequenceNumber(_ sequenceNumber: UInt16, in packet: inout [UInt8]) -> Bool {
        guard hasFixedHeader(packet) else { return false }
        packet.setUInt16(sequenceNumber, at: 2)
        return true
    }

    @discardableResult
    public static func setTimestamp(_ timestamp: UInt32, in packet: inout [UInt8]) -> Bool {
        guard hasFixedHeader(packet) else { return false }
        packet.setUInt32(timestamp, at: 4)
        return true
    }

    @discardableResult
    public static func setSSRC(_ ssrc: UInt32, in packet: inout [UInt8]) -> Bool {
        guard hasFixedHeader(packet) else { return false }
        packet.setUInt32(ssrc, at: 8)
        return true
    }
}
