import RTP
import Testing

@Suite struct RTCPFeedbackTests {
    /// A generic NACK (RFC 4585 section 6.2.1) expands PID + BLP into the lost packets,
    /// wrapping past 65535, and the same list packs back into the same items and bytes.
    @Test func genericNACKExpandsAndPacks() throws {
        let bytes = hex("81cd0004 00000001 cafebabe 03e80005 ffff0001")
        let packets = try RTCPPacket.decodeCompound(bytes)
        let expected = RTCPGenericNACK(
            senderSSRC: 1, mediaSSRC: 0xCAFE_BABE,
            items: [.init(packetID: 1000, lostBitmask: 0x0005), .init(packetID: 65535, lostBitmask: 0x0001)])
        #expect(packets == [.genericNACK(expected)])
        #expect(expected.lostSequenceNumbers == [1000, 1001, 1003, 65535, 0])

        let packed = RTCPGenericNACK(
            senderSSRC: 1, mediaSSRC: 0xCAFE_BABE, lostSequenceNumbers: [1000, 1001, 1003, 65535, 0])
        #expect(packed == expected)
        #expect(RTCPPacket.genericNACK(packed).encode() == bytes)
    }

    /// A packet 16 after the PID is the last bit of its mask; 17 after starts a new item.
    @Test func nackBitmaskCoversSixteenPackets() {
        let sixteen = RTCPGenericNACK(senderSSRC: 0, mediaSSRC: 0, lostSequenceNumbers: [10, 26])
        #expect(sixteen.items == [.init(packetID: 10, lostBitmask: 0x8000)])
        let seventeen = RTCPGenericNACK(senderSSRC: 0, mediaSSRC: 0, lostSequenceNumbers: [10, 27, 27])
        #expect(seventeen.items == [.init(packetID: 10, lostBitmask: 0), .init(packetID: 27, lostBitmask: 0)])
        #expect(seventeen.lostSequenceNumbers == [10, 27])
    }

    /// PLI (RFC 4585 section 6.3.1) is just the two SSRCs.
    @Test func pictureLossIndication() throws {
        let bytes = hex("81ce0002 00000001 cafebabe")
        let packets = try RTCPPacket.decodeCompound(bytes)
        #expect(packets == [.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 0xCAFE_BABE))])
        #expect(RTCPPacket.encodeCompound(packets) == bytes)
    }

    /// FIR (RFC 5104 section 4.3.1): media SSRC 0, one entry per sender with its sequence number.
    @Test func fullIntraRequest() throws {
        let bytes = hex("84ce0006 00000001 00000000 cafebabe 07000000 deadbeef 08000000")
        let packets = try RTCPPacket.decodeCompound(bytes)
        let request = RTCPFullIntraRequest(
            senderSSRC: 1,
            entries: [.init(ssrc: 0xCAFE_BABE, sequenceNumber: 7), .init(ssrc: 0xDEAD_BEEF, sequenceNumber: 8)])
        #expect(packets == [.fullIntraRequest(request)])
        #expect(request.encode() == bytes)
    }

    /// REMB 1 Mbps: 1_000_000 = 250_000 × 2², so exponent 2 and mantissa 250_000 (0x3D090).
    @Test func rembOneMegabit() throws {
        let bytes = hex("8fce0005 00000001 00000000 52454d42 010bd090 cafebabe")
        let remb = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [0xCAFE_BABE])
        #expect(remb.exponent == 2)
        #expect(remb.mantissa == 250_000)
        #expect(remb.bitrate == 1_000_000)
        #expect(RTCPPacket.receiverEstimatedMaximumBitrate(remb).encode() == bytes)
        let packets = try RTCPPacket.decodeCompound(bytes)
        #expect(packets == [.receiverEstimatedMaximumBitrate(remb)])
    }

    /// Bitrates the mantissa cannot hold exactly round down; tiny ones need no exponent;
    /// the largest exponents saturate instead of overflowing.
    @Test func rembMantissaAndExponent() {
        let rounded = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: 1_000_003, ssrcs: [])
        #expect(rounded.exponent == 2)
        #expect(rounded.mantissa == 250_000)
        #expect(rounded.bitrate == 1_000_000)
        let small = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: 30_000, ssrcs: [])
        #expect(small.exponent == 0)
        #expect(small.mantissa == 30_000)
        let largest = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: .max, ssrcs: [])
        #expect(largest.exponent == 46)
        #expect(largest.mantissa == 0x3_FFFF)
        let saturated = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, exponent: 63, mantissa: 0x3_FFFF, ssrcs: [])
        #expect(saturated.bitrate == .max)
    }

    /// A REMB listing several SSRCs says how many in its count byte.
    @Test func rembWithSeveralSSRCsRoundTrips() throws {
        let remb = RTCPPacket.receiverEstimatedMaximumBitrate(
            RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 9, bitrate: 2_500_000, ssrcs: [1, 2, 3]))
        let bytes = remb.encode()
        #expect(bytes.count == 20 + 3 * 4)
        #expect(bytes[16] == 3)
        #expect(try RTCPPacket.decodeCompound(bytes) == [remb])
    }
}

extension RTCPFullIntraRequest {
    fileprivate func encode() -> [UInt8] { RTCPPacket.fullIntraRequest(self).encode() }
}
