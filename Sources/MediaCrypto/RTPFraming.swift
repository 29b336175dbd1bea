/// Length checks done before libsrtp sees a packet, so that it never reads past one: the
/// header a packet claims must fit in it (RFC 3550 sections 5.1, 5.3.1 and 6.4.1).
enum RTPFraming {
    static func checkRTP(_ packet: [UInt8]) throws(MediaCryptoError) {
        try checkSize(packet)
        guard packet.count >= 12 else { throw .malformedPacket("RTP packet of \(packet.count) bytes") }
        guard packet[0] >> 6 == 2 else { throw .malformedPacket("RTP version \(packet[0] >> 6)") }
        var headerLength = 12 + 4 * Int(packet[0] & 0x0F)
        if packet[0] & 0x10 != 0 {
            guard packet.count >= headerLength + 4 else { throw .malformedPacket("RTP extension header cut off") }
            let words = Int(packet[headerLength + 2]) << 8 | Int(packet[headerLength + 3])
            headerLength += 4 + 4 * words
        }
        guard packet.count >= headerLength else {
            throw .malformedPacket("RTP header of \(headerLength) bytes in a \(packet.count)-byte packet")
        }
    }

    static func checkRTCP(_ packet: [UInt8]) throws(MediaCryptoError) {
        try checkSize(packet)
        guard packet.count >= 8 else { throw .malformedPacket("RTCP packet of \(packet.count) bytes") }
        guard packet[0] >> 6 == 2 else { throw .malformedPacket("RTCP version \(packet[0] >> 6)") }
    }

    private static func checkSize(_ packet: [UInt8]) throws(MediaCryptoError) {
        guard packet.count <= SRTPContext.maximumPacketSize else {
            throw .packetTooLarge(size: packet.count, maximum: SRTPContext.maximumPacketSize)
        }
    }
}
