import RTP
import Testing

@Suite struct RTPPacketTests {
    /// A Chromium Opus packet decodes field by field, its one-byte extension elements included,
    /// and re-encodes to the same bytes.
    @Test func opusWithOneByteExtension() throws {
        let packet = try RTPPacket(decoding: Vectors.opus)
        #expect(packet.marker == false)
        #expect(packet.payloadType == 111)
        #expect(packet.sequenceNumber == 0x1A2B)
        #expect(packet.timestamp == 48000)
        #expect(packet.ssrc == 0x1234_5678)
        #expect(packet.csrcs == [])
        #expect(packet.paddingLength == 0)
        #expect(Array(packet.payload) == hex("780be4c136e8ea19"))
        let headerExtension = try #require(packet.headerExtension)
        #expect(headerExtension.profile == 0xBEDE)
        #expect(headerExtension.isOneByteForm)
        #expect(!headerExtension.isTwoByteForm)
        #expect(
            try headerExtension.elements() == [
                .init(id: 1, value: [0x9E]),
                .init(id: 2, value: [0x12, 0x34, 0x56]),
                .init(id: 3, value: [0x00, 0x05]),
            ])
        #expect(try headerExtension.value(forID: 2) == [0x12, 0x34, 0x56])
        #expect(try headerExtension.value(forID: 4) == nil)
        #expect(packet.encode() == Vectors.opus)
    }

    /// A VP8 packet with a CSRC and a two-byte extension decodes and re-encodes exactly.
    @Test func vp8WithTwoByteExtension() throws {
        let packet = try RTPPacket(decoding: Vectors.vp8)
        #expect(packet.marker == true)
        #expect(packet.payloadType == 96)
        #expect(packet.sequenceNumber == 0xFFFE)
        #expect(packet.timestamp == 0x5A3B_1C00)
        #expect(packet.ssrc == 0xCAFE_BABE)
        #expect(packet.csrcs == [0x0102_0304])
        #expect(Array(packet.payload) == hex("90809234 1002009d 012a8002 e001"))
        let headerExtension = try #require(packet.headerExtension)
        #expect(headerExtension.profile == 0x1000)
        #expect(headerExtension.isTwoByteForm)
        #expect(
            try headerExtension.elements() == [
                .init(id: 3, value: [0x00, 0x2A]),
                .init(id: 16, value: Array(0...16)),
            ])
        #expect(packet.encode() == Vectors.vp8)
    }

    /// Building the extensions from elements picks the form Chromium used and the same bytes.
    @Test func headerExtensionFromElementsPicksTheSmallestForm() throws {
        let opus = try #require(try RTPPacket(decoding: Vectors.opus).headerExtension)
        let vp8 = try #require(try RTPPacket(decoding: Vectors.vp8).headerExtension)
        #expect(RTPHeaderExtension(elements: try opus.elements()) == opus)
        #expect(RTPHeaderExtension(elements: try vp8.elements()) == vp8)
        // An empty value only fits the two-byte form, whose length byte may be zero.
        let empty = try #require(RTPHeaderExtension(elements: [.init(id: 5, value: [])]))
        #expect(empty.profile == 0x1000)
        #expect(empty.data == [0x05, 0x00, 0x00, 0x00])
        #expect(try empty.elements() == [.init(id: 5, value: [])])
        #expect(RTPHeaderExtension(elements: [.init(id: 0, value: [1])]) == nil)
        #expect(RTPHeaderExtension(elements: [.init(id: 1, value: Array(repeating: 7, count: 256))]) == nil)
    }

    /// A fresh packet encodes the RFC 3550 header bit for bit.
    @Test func encodesFieldsIntoTheFixedHeader() throws {
        let packet = RTPPacket(
            marker: true, payloadType: 100, sequenceNumber: 513, timestamp: 0x0102_0304, ssrc: 0xDEAD_BEEF,
            csrcs: [7, 8], payload: [0xAA, 0xBB])
        #expect(packet.encode() == hex("82e40201 01020304 deadbeef 00000007 00000008 aabb"))
        #expect(try RTPPacket(decoding: packet.encode()) == packet)
    }

    /// Encoding pads extension data that is not whole words with zeros, and a payload type
    /// above 127 loses its top bit instead of setting the marker.
    @Test func encodingNormalisesOutOfRangeFields() throws {
        let packet = RTPPacket(
            payloadType: 0xFF, sequenceNumber: 1, timestamp: 2, ssrc: 3,
            headerExtension: RTPHeaderExtension(profile: 0xBEDE, data: [0x10, 0xAA]), payload: [9])
        let bytes = packet.encode()
        #expect(bytes == hex("907f0001 00000002 00000003 bede0001 10aa0000 09"))
        let decoded = try RTPPacket(decoding: bytes)
        #expect(decoded.payloadType == 0x7F)
        #expect(decoded.marker == false)
        #expect(decoded.headerExtension?.data == [0x10, 0xAA, 0x00, 0x00])
    }

    /// Padding is decoded off the payload, and encoding writes it back with its length.
    @Test func paddingKeepsItsLength() throws {
        let packet = try RTPPacket(decoding: Vectors.padded)
        #expect(Array(packet.payload) == [1, 2, 3])
        #expect(packet.paddingLength == 4)
        #expect(packet.encode() == Vectors.padded)
    }

    /// Padding bytes other than the count are not kept: they come back as zeros.
    @Test func paddingContentIsNotKept() throws {
        var bytes = Vectors.padded
        bytes[15] = 0xFF
        bytes[16] = 0xEE
        let packet = try RTPPacket(decoding: bytes)
        #expect(packet.paddingLength == 4)
        #expect(packet.encode() == Vectors.padded)
    }

    /// Padding may take the whole payload: a padding-only packet, as sent for bandwidth probes.
    @Test func paddingOnlyPacket() throws {
        let bytes = hex("a0000001 00000002 00000003 0000000000000000000000000000000000000000000000000000000000000020")
        let packet = try RTPPacket(decoding: bytes)
        #expect(packet.payload.isEmpty)
        #expect(packet.paddingLength == 32)
        #expect(packet.encode() == bytes)
    }

    /// Decoding a slice from the middle of a buffer works on the slice's own indices.
    @Test func decodesFromASliceWithOffset() throws {
        let buffer = [0xFF, 0xFF] + Vectors.opus
        let packet = try RTPPacket(decoding: buffer[2...])
        #expect(packet.sequenceNumber == 0x1A2B)
        #expect(packet.encode() == Vectors.opus)
    }

    /// More than 15 CSRCs cannot be described; encoding keeps the first 15.
    @Test func encodingCutsTheCSRCListAtFifteen() throws {
        let packet = RTPPacket(
            payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: Array(1...16), payload: [])
        let bytes = packet.encode()
        #expect(bytes[0] == 0x8F)
        #expect(bytes.count == 12 + 15 * 4)
        #expect(try RTPPacket(decoding: bytes).csrcs == Array(1...15))
    }

    /// In the one-byte form id 15 ends parsing and zero bytes between elements are padding.
    @Test func oneByteIDFifteenStopsParsing() throws {
        let headerExtension = RTPHeaderExtension(profile: 0xBEDE, data: hex("00 10aa 00 f0 20bb 0000"))
        #expect(try headerExtension.elements() == [.init(id: 1, value: [0xAA])])
    }

    /// Two-byte form: appbits in the profile's low nibble are still two-byte; zeros are padding.
    @Test func twoByteFormWithAppBits() throws {
        let headerExtension = RTPHeaderExtension(profile: 0x100F, data: hex("00 0101aa 0200 00"))
        #expect(headerExtension.isTwoByteForm)
        #expect(try headerExtension.elements() == [.init(id: 1, value: [0xAA]), .init(id: 2, value: [])])
    }

    /// A profile other than RFC 8285's is opaque: no elements, data kept for forwarding.
    @Test func otherProfilesHaveNoElements() throws {
        let headerExtension = RTPHeaderExtension(profile: 0xABAC, data: [1, 2, 3, 4])
        #expect(try headerExtension.elements() == [])
    }

    /// An element whose length runs past the extension block throws, in either form.
    @Test func elementPastTheEndThrows() {
        #expect(throws: RTPDecodingError.malformedExtensionElement) {
            try RTPHeaderExtension(profile: 0xBEDE, data: hex("13aa0000")).elements()
        }
        #expect(throws: RTPDecodingError.malformedExtensionElement) {
            try RTPHeaderExtension(profile: 0x1000, data: hex("0504aabb")).elements()
        }
        #expect(throws: RTPDecodingError.malformedExtensionElement) {
            try RTPHeaderExtension(profile: 0x1000, data: hex("000000 05")).elements()
        }
    }
}
