import RTP
import Testing

@Suite struct DatagramKindTests {
    /// The first byte picks the protocol (RFC 7983 section 7); the second tells RTCP from RTP
    /// (RFC 5761 section 4), including the marker-bit edge: M=1 with PT 96 is 224, still RTP.
    @Test(arguments: [
        ([UInt8](), DatagramKind.unknown),
        ([0x00, 0x01, 0x00, 0x00], .stun),
        ([0x01, 0x01], .stun),
        ([0x03], .stun),
        ([0x04], .unknown),
        ([0x10], .unknown),
        ([0x14, 0xFE, 0xFD], .dtls),
        ([0x16, 0xFE, 0xFD], .dtls),
        ([0x3F], .dtls),
        ([0x40, 0x00, 0x00, 0x04], .unknown),
        ([0x7F], .unknown),
        ([0x80], .unknown),
        ([0x80, 0x6F], .rtp),
        ([0x90, 0xE0], .rtp),
        ([0x80, 0xBF], .rtp),
        ([0x80, 0xC0], .rtcp),
        ([0x80, 0xC8], .rtcp),
        ([0x81, 0xCD], .rtcp),
        ([0x8F, 0xCE], .rtcp),
        ([0x80, 0xDF], .rtcp),
        ([0xBF, 0xC9], .rtcp),
        ([0xC0, 0xC8], .unknown),
        ([0xFF, 0x00], .unknown),
    ])
    func classifies(bytes: [UInt8], kind: DatagramKind) {
        #expect(DatagramKind(classifying: bytes) == kind)
    }

    /// The test vectors classify as what they are.
    @Test func classifiesRealPackets() {
        #expect(DatagramKind(classifying: Vectors.opus) == .rtp)
        #expect(DatagramKind(classifying: Vectors.vp8) == .rtp)
        #expect(DatagramKind(classifying: Vectors.senderReportAndCNAME) == .rtcp)
        #expect(DatagramKind(classifying: Vectors.transportFeedback) == .rtcp)
    }

    /// A slice is classified from its own start, not from index 0 of its base array.
    @Test func classifiesASliceFromItsStart() {
        let buffer: [UInt8] = [0x00, 0x80, 0xC9]
        #expect(DatagramKind(classifying: buffer[1...]) == .rtcp)
        #expect(DatagramKind(classifying: buffer[2...]) == .unknown)
    }
}
