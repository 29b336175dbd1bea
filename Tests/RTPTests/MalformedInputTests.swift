import RTP
import Testing

/// One malformed datagram and the error it must raise.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let error: RTPDecodingError

    init(_ name: String, _ text: String, _ error: RTPDecodingError) {
        self.name = name
        self.bytes = hex(text)
        self.error = error
    }

    var testDescription: String { name }
}

let malformedRTPCases: [MalformedCase] = [
    .init("empty", "", .truncated),
    .init("version 0", "000000010000000200000003", .badVersion),
    .init("version 1", "400000010000000200000003", .badVersion),
    .init("version 3", "c00000010000000200000003", .badVersion),
    .init("CSRC count past the end", "8f000001 00000002 00000003 00000004", .truncated),
    .init("extension header cut", "90000001 00000002 00000003 bede", .truncated),
    .init("extension length past the end", "90000001 00000002 00000003 bede0009 10aa0000", .badExtensionLength),
    .init("padding count zero", "a0000001 00000002 00000003 aabb00", .badPadding),
    .init("padding count past the payload", "a0000001 00000002 00000003 aabb04", .badPadding),
    .init("padding with no payload", "a0000001 00000002 00000003", .badPadding),
    .init("padding reaching into the extension", "b0000001 00000002 00000003 bede0001 10aa0005", .badPadding),
]

let malformedRTCPCases: [MalformedCase] = [
    .init("empty", "", .truncated),
    .init("three bytes", "80c900", .truncated),
    .init("trailing bytes after a packet", "80c90001 11223344 80", .truncated),
    .init("version 1", "40c90001 11223344", .badVersion),
    .init("version 2 then version 3", "80c90001 11223344 c0c90001 11223344", .badVersion),
    .init("length past the end", "81c90007 11223344 9abcdef0", .badLength),
    .init("length past the end of the second", "80c90001 11223344 81ca0006 12345678", .badLength),
    .init("padding count past the packet", "a0c90001 11223344", .badPadding),
    .init("padding count zero", "a0c90002 11223344 00000000", .badPadding),
    .init("padding eating the header", "a0c90001 00000008", .badPadding),
    .init(
        "RR count past its blocks", "82c90007 11223344 9abcdef0 40000005 00011a2b 00000020 5a008000 00004000",
        .malformedReport),
    .init("SR without sender info", "80c80001 12345678", .malformedReport),
    .init("SDES chunk without SSRC", "81ca0000", .malformedSourceDescription),
    .init("SDES item past the end", "81ca0002 12345678 01100000", .malformedSourceDescription),
    .init("SDES without null item", "81ca0002 12345678 01026162", .malformedSourceDescription),
    .init("BYE count past its sources", "82cb0001 12345678", .malformedGoodbye),
    .init("BYE reason past the end", "81cb0002 12345678 09414243", .malformedGoodbye),
    .init("NACK without media SSRC", "81cd0001 00000001", .malformedFeedback),
    .init("PLI without media SSRC", "81ce0001 00000001", .malformedFeedback),
    .init("FIR without SSRCs", "84ce0000", .malformedFeedback),
    .init("REMB with SSRCs missing", "8fce0005 00000001 00000000 52454d42 020bd090 cafebabe", .malformedFeedback),
    .init("REMB without bitrate", "8fce0003 00000001 00000000 52454d42", .malformedFeedback),
    .init("TWCC without header", "8fcd0002 00000001 00000002", .malformedTransportFeedback),
    .init("TWCC chunks missing", "8fcd0004 00000001 00000002 00000002 00000000", .malformedTransportFeedback),
    .init(
        "TWCC deltas missing", "8fcd0005 00000001 00000002 00000003 00000000 20030000", .malformedTransportFeedback),
    .init(
        "TWCC reserved run symbol", "8fcd0005 00000001 00000002 00000001 00000000 60010000",
        .malformedTransportFeedback),
    .init(
        "TWCC reserved vector symbol", "8fcd0005 00000001 00000002 00000001 00000000 f0000000",
        .malformedTransportFeedback),
]

@Suite struct MalformedInputTests {
    /// Every cut of the VP8 packet inside its header throws the error for the part that is
    /// missing; cuts inside the payload still decode, since RTP has no payload length.
    @Test func rtpTruncatedAtEveryLength() throws {
        let bytes = Vectors.vp8
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            let expected: RTPDecodingError?
            switch length {
            case 0..<12: expected = .truncated  // fixed header
            case 12..<16: expected = .truncated  // the CSRC
            case 16..<20: expected = .truncated  // extension profile and length
            case 20..<Vectors.vp8HeaderLength: expected = .badExtensionLength
            default: expected = nil
            }
            if let expected {
                #expect(throws: expected, "length \(length)") { try RTPPacket(decoding: prefix) }
            } else {
                let packet = try RTPPacket(decoding: prefix)
                #expect(Array(packet.payload) == Array(bytes[Vectors.vp8HeaderLength..<length]), "length \(length)")
            }
        }
    }

    /// Cutting a padded packet makes its last byte the padding count: valid only when it is
    /// non-zero and fits after the header.
    @Test func paddedPacketTruncatedAtEveryLength() throws {
        let bytes = Vectors.padded
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            if length < 12 {
                #expect(throws: RTPDecodingError.truncated, "length \(length)") { try RTPPacket(decoding: prefix) }
            } else if let count = prefix.last, count > 0, Int(count) <= length - 12 {
                let packet = try RTPPacket(decoding: prefix)
                #expect(Int(packet.paddingLength) + packet.payload.count == length - 12, "length \(length)")
            } else {
                #expect(throws: RTPDecodingError.badPadding, "length \(length)") { try RTPPacket(decoding: prefix) }
            }
        }
    }

    /// Each malformed RTP packet throws its specific error.
    @Test(arguments: malformedRTPCases)
    func malformedRTP(_ malformed: MalformedCase) {
        #expect(throws: malformed.error) { try RTPPacket(decoding: malformed.bytes) }
    }

    /// Every cut of the SR + SDES compound throws: too short for a header, or a length field
    /// pointing past the end. The one exception is the cut right after the SR.
    @Test func rtcpCompoundTruncatedAtEveryLength() throws {
        let bytes = Vectors.senderReportAndCNAME
        #expect(bytes.count == 56)
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            switch length {
            case 28:
                let packets = try RTCPPacket.decodeCompound(prefix)
                #expect(packets.count == 1)
            case 0..<4, 29..<32:
                #expect(throws: RTPDecodingError.truncated, "length \(length)") {
                    try RTCPPacket.decodeCompound(prefix)
                }
            default:
                #expect(throws: RTPDecodingError.badLength, "length \(length)") {
                    try RTCPPacket.decodeCompound(prefix)
                }
            }
        }
    }

    /// Every cut of the TWCC packet that still fits a whole word count, with the length field
    /// fixed to match, throws: the chunks or deltas no longer fit.
    @Test func transportFeedbackCutsThrow() {
        var bytes = Vectors.transportFeedback
        while bytes.count > 4 {
            bytes.removeLast(4)
            bytes[3] = UInt8(bytes.count / 4 - 1)
            let cut = bytes
            #expect(throws: RTPDecodingError.malformedTransportFeedback, "length \(cut.count)") {
                try RTCPPacket.decodeCompound(cut)
            }
        }
    }

    /// Each malformed RTCP datagram throws its specific error.
    @Test(arguments: malformedRTCPCases)
    func malformedRTCP(_ malformed: MalformedCase) {
        #expect(throws: malformed.error) { try RTCPPacket.decodeCompound(malformed.bytes) }
    }

    /// Pseudo-random datagrams (a fixed-seed generator, so failures reproduce) never trap, and
    /// whatever decodes re-encodes to something that decodes to the same value.
    @Test func randomInputsDecodeOrThrow() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var decodedRTP = 0
        var decodedRTCP = 0
        for round in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 58)
            var bytes: [UInt8] = []
            for index in 0..<length {
                bytes.append(UInt8(truncatingIfNeeded: (state >> UInt64(index % 7 * 8)) ^ UInt64(index)))
            }
            // Bias half the inputs towards version 2 so the decoders get past the first check,
            // and a quarter towards one whole RTCP packet whose length field matches.
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = bytes[0] & 0x3F | 0x80 }
            if round % 4 == 1, bytes.count >= 4 {
                bytes.removeLast(bytes.count % 4)
                bytes[0] = bytes[0] & 0x3F | 0x80
                bytes[2] = 0
                bytes[3] = UInt8(bytes.count / 4 - 1)
            }
            if let packet = try? RTPPacket(decoding: bytes) {
                decodedRTP += 1
                #expect(try RTPPacket(decoding: packet.encode()) == packet)
            }
            if let packets = try? RTCPPacket.decodeCompound(bytes) {
                decodedRTCP += 1
                #expect(try RTCPPacket.decodeCompound(RTCPPacket.encodeCompound(packets)) == packets)
            }
        }
        #expect(decodedRTP > 1000)
        #expect(decodedRTCP > 500)
    }
}
