import RTP
import Testing

@Suite struct RTPHeaderFieldsTests {
    /// The in-place readers see the same values as the full decoder.
    @Test func readersMatchTheDecoder() throws {
        let packet = try RTPPacket(decoding: Vectors.vp8)
        #expect(RTPPacket.marker(in: Vectors.vp8) == packet.marker)
        #expect(RTPPacket.payloadType(in: Vectors.vp8) == 96)
        #expect(RTPPacket.sequenceNumber(in: Vectors.vp8) == 0xFFFE)
        #expect(RTPPacket.timestamp(in: Vectors.vp8) == 0x5A3B_1C00)
        #expect(RTPPacket.ssrc(in: Vectors.vp8) == 0xCAFE_BABE)
    }

    /// An SFU's per-packet rewrite changes exactly the fields it sets, and the marker bit
    /// survives a payload type change (they share a byte).
    @Test func rewritesInPlace() throws {
        var bytes = Vectors.vp8
        let wroteAll = [
            RTPPacket.setSequenceNumber(0x0102, in: &bytes),
            RTPPacket.setTimestamp(0x0A0B_0C0D, in: &bytes),
            RTPPacket.setSSRC(0x1111_2222, in: &bytes),
            RTPPacket.setPayloadType(0xFF, in: &bytes),
        ]
        #expect(wroteAll == [true, true, true, true])
        let rewritten = try RTPPacket(decoding: bytes)
        #expect(rewritten.sequenceNumber == 0x0102)
        #expect(rewritten.timestamp == 0x0A0B_0C0D)
        #expect(rewritten.ssrc == 0x1111_2222)
        #expect(rewritten.payloadType == 0x7F)
        #expect(rewritten.marker == true)

        var expected = try RTPPacket(decoding: Vectors.vp8)
        expected.sequenceNumber = 0x0102
        expected.timestamp = 0x0A0B_0C0D
        expected.ssrc = 0x1111_2222
        expected.payloadType = 0x7F
        #expect(bytes == expected.encode())

        let clearedMarker = RTPPacket.setMarker(false, in: &bytes)
        #expect(clearedMarker)
        #expect(bytes[1] == 0x7F)
        let setType = RTPPacket.setPayloadType(111, in: &bytes)
        #expect(setType)
        #expect(bytes[1] == 111)
    }

    /// Buffers shorter than a fixed header, or not version 2, are neither read nor written.
    @Test func shortOrForeignBuffersAreLeftAlone() {
        var short = Array(Vectors.opus.prefix(11))
        #expect(RTPPacket.sequenceNumber(in: short) == nil)
        #expect(RTPPacket.ssrc(in: short) == nil)
        #expect(RTPPacket.payloadType(in: short) == nil)
        let wroteShort = [RTPPacket.setSequenceNumber(1, in: &short), RTPPacket.setSSRC(1, in: &short)]
        #expect(wroteShort == [false, false])
        #expect(short == Array(Vectors.opus.prefix(11)))

        let binding = hex("000100002112a442b7e7a701bc34d686fa87dfae")
        var stun = binding
        #expect(RTPPacket.sequenceNumber(in: stun) == nil)
        let wroteSTUN = RTPPacket.setPayloadType(1, in: &stun)
        #expect(!wroteSTUN)
        #expect(stun == binding)
    }
}
