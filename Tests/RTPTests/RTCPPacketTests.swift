import RTP
import Testing

@Suite struct RTCPPacketTests {
    /// Chromium's regular compound, SR then SDES CNAME, decodes field by field and re-encodes
    /// byte for byte.
    @Test func senderReportAndCNAME() throws {
        let packets = try RTCPPacket.decodeCompound(Vectors.senderReportAndCNAME)
        #expect(
            packets == [
                .senderReport(
                    RTCPSenderReport(
                        ssrc: 0x1234_5678, ntpTimestamp: 0xE72B_5A00_8000_0000, rtpTimestamp: 48000,
                        packetCount: 100, octetCount: 16000)),
                .sourceDescription(
                    RTCPSourceDescription(chunks: [.init(ssrc: 0x1234_5678, items: [.cname("hN3fGBn4W0Ff1mIr")])])),
            ])
        try #require(packets.count == 2)
        guard case .sourceDescription(let description) = packets[1] else {
            Issue.record("second packet is not SDES")
            return
        }
        #expect(description.chunks.first?.cname == "hN3fGBn4W0Ff1mIr")
        #expect(RTCPPacket.encodeCompound(packets) == Vectors.senderReportAndCNAME)
    }

    /// An RR with one report block (RFC 3550 figure in section 6.4.2) decodes every field.
    @Test func receiverReportWithBlock() throws {
        let bytes = hex(
            """
            81c90007 11223344
            9abcdef0 40000005 00011a2b 00000020 5a008000 00004000
            """)
        let block = RTCPReportBlock(
            ssrc: 0x9ABC_DEF0, fractionLost: 0x40, cumulativeLost: 5, extendedHighestSequenceNumber: 0x0001_1A2B,
            jitter: 32, lastSenderReport: 0x5A00_8000, delaySinceLastSenderReport: 0x4000)
        let packets = try RTCPPacket.decodeCompound(bytes)
        #expect(packets == [.receiverReport(RTCPReceiverReport(ssrc: 0x1122_3344, reportBlocks: [block]))])
        #expect(RTCPPacket.encodeCompound(packets) == bytes)
    }

    /// Cumulative loss is a signed 24-bit field: -1 is 0xFFFFFF, and out-of-range values clamp.
    @Test func cumulativeLostIsSigned24Bits() throws {
        func encoded(_ lost: Int32) -> [UInt8] {
            let block = RTCPReportBlock(
                ssrc: 1, fractionLost: 0, cumulativeLost: lost, extendedHighestSequenceNumber: 0, jitter: 0,
                lastSenderReport: 0, delaySinceLastSenderReport: 0)
            return RTCPPacket.receiverReport(RTCPReceiverReport(ssrc: 2, reportBlocks: [block])).encode()
        }
        func decodedLoss(_ bytes: [UInt8]) throws -> Int32? {
            guard case .receiverReport(let report) = try RTCPPacket.decodeCompound(bytes).first else { return nil }
            return report.reportBlocks.first?.cumulativeLost
        }
        #expect(Array(encoded(-1)[12..<16]) == [0x00, 0xFF, 0xFF, 0xFF])
        #expect(try decodedLoss(encoded(-1)) == -1)
        #expect(try decodedLoss(encoded(8_388_607)) == 8_388_607)
        #expect(try decodedLoss(encoded(Int32.max)) == 8_388_607)
        #expect(try decodedLoss(encoded(Int32.min)) == -8_388_608)
    }

    /// An SR with two report blocks survives a round trip and says RC=2 in its header.
    @Test func senderReportWithBlocksRoundTrips() throws {
        let blocks = (1...2).map {
            RTCPReportBlock(
                ssrc: UInt32($0), fractionLost: UInt8($0), cumulativeLost: Int32(-$0),
                extendedHighestSequenceNumber: 70000, jitter: 9, lastSenderReport: 10, delaySinceLastSenderReport: 11)
        }
        let report = RTCPPacket.senderReport(
            RTCPSenderReport(
                ssrc: 5, ntpTimestamp: 1, rtpTimestamp: 2, packetCount: 3, octetCount: 4, reportBlocks: blocks))
        let bytes = report.encode()
        #expect(Array(bytes.prefix(4)) == [0x82, 200, 0x00, 0x12])
        #expect(bytes.count == 28 + 2 * 24)
        #expect(try RTCPPacket.decodeCompound(bytes) == [report])
    }

    /// SDES keeps items other than CNAME as type and bytes, and pads every chunk to a word.
    @Test func sourceDescriptionKeepsOtherItems() throws {
        let description = RTCPSourceDescription(chunks: [
            .init(ssrc: 1, items: [.cname("a"), .init(type: 2, value: Array("Ann".utf8))]),
            .init(ssrc: 2, items: [.init(type: 8, value: [3, 0x61, 0x62, 0x63, 0xFF])]),
            .init(ssrc: 3, items: []),
        ])
        let bytes = RTCPPacket.sourceDescription(description).encode()
        #expect(
            bytes
                == hex(
                    """
                    83ca0009
                    00000001 0101 61 0203 416e6e 00 000000
                    00000002 0805 03616263ff 00
                    00000003 00000000
                    """))
        #expect(try RTCPPacket.decodeCompound(bytes) == [.sourceDescription(description)])
        #expect(description.chunks[0].cname == "a")
        #expect(description.chunks[1].cname == nil)
    }

    /// BYE with and without a reason; an absent reason is not an empty one.
    @Test func goodbye() throws {
        let plain = hex("81cb0001 12345678")
        #expect(try RTCPPacket.decodeCompound(plain) == [.goodbye(RTCPGoodbye(sources: [0x1234_5678]))])
        #expect(RTCPPacket.goodbye(RTCPGoodbye(sources: [0x1234_5678])).encode() == plain)

        let withReason = hex("81cb0003 12345678 07676f6f64627965")
        let decoded = try RTCPPacket.decodeCompound(withReason)
        #expect(decoded == [.goodbye(RTCPGoodbye(sources: [0x1234_5678], reason: Array("goodbye".utf8)))])
        if case .goodbye(let goodbye) = decoded.first {
            #expect(goodbye.reasonText == "goodbye")
        }
        #expect(RTCPPacket.encodeCompound(decoded) == withReason)

        let emptyReason = RTCPPacket.goodbye(RTCPGoodbye(sources: [9], reason: []))
        #expect(emptyReason.encode() == hex("81cb0002 00000009 00000000"))
        #expect(try RTCPPacket.decodeCompound(emptyReason.encode()) == [emptyReason])
    }

    /// APP, XR and feedback formats not modelled here stay raw and re-encode unchanged.
    @Test(arguments: [
        "85cc0002 12345678 50524c59",
        "80cf0003 12345678 04000001 00000000",
        "83cd0004 00000001 00000002 00000003 8a000000",
        "8fce0003 00000001 00000000 41424344",
        "8fce0002 00000001 00000000",
    ])
    func unknownPacketsStayRaw(text: String) throws {
        let bytes = hex(text)
        let packets = try RTCPPacket.decodeCompound(bytes)
        #expect(
            packets == [
                .raw(RawRTCPPacket(packetType: bytes[1], count: bytes[0] & 0x1F, body: Array(bytes.dropFirst(4))))
            ])
        #expect(RTCPPacket.encodeCompound(packets) == bytes)
    }

    /// Padding on the last packet: a raw packet keeps it verbatim, a known type drops it.
    @Test func paddingOnTheLastPacket() throws {
        let app = hex("80c90001 11223344 a0cc0003 12345678 50524c59 00000004")
        let packets = try RTCPPacket.decodeCompound(app)
        #expect(
            packets == [
                .receiverReport(RTCPReceiverReport(ssrc: 0x1122_3344)),
                .raw(RawRTCPPacket(packetType: 204, count: 0, body: hex("12345678 50524c59 00000004"), isPadded: true)),
            ])
        #expect(RTCPPacket.encodeCompound(packets) == app)

        let paddedReport = hex("a0c90002 11223344 00000004")
        let report = try RTCPPacket.decodeCompound(paddedReport)
        #expect(report == [.receiverReport(RTCPReceiverReport(ssrc: 0x1122_3344))])
        #expect(RTCPPacket.encodeCompound(report) == hex("80c90001 11223344"))

        // Padding on a packet that is not the last, as libwebrtc writes transport feedback.
        let paddedFirst = try RTCPPacket.decodeCompound(hex("a0c90002 11223344 00000004 80c90001 55667788"))
        #expect(
            paddedFirst == [
                .receiverReport(RTCPReceiverReport(ssrc: 0x1122_3344)),
                .receiverReport(RTCPReceiverReport(ssrc: 0x5566_7788)),
            ])
    }

    /// A reduced-size (RFC 5506) datagram may start with feedback instead of SR or RR.
    @Test func reducedSizeCompoundIsAccepted() throws {
        let bytes = hex("81ce0002 00000001 00000002 81cb0001 00000001")
        #expect(
            try RTCPPacket.decodeCompound(bytes) == [
                .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
                .goodbye(RTCPGoodbye(sources: [1])),
            ])
    }
}
