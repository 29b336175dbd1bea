import RTP
import Testing

/// Packets captured from Chromium sending to Parley's echo (fake camera and microphone,
/// decrypted by the media engine), exactly as they arrived: the codecs must read what a real
/// browser writes, not only what the RFC layouts suggest. Negotiated extension ids: 1
/// ssrc-audio-level, 2 abs-send-time, 3 transport-wide-cc, 4 sdes:mid, 13 video-orientation.
enum ChromiumCaptures {
    /// Opus, PT 111, mid "0"; audio level 127 (silence: the fake microphone's beep is between beeps).
    static let opus = hex(
        """
        906f4ea79e6c45d61cd7871ebede000322e029a7310002403010ff007807c97227e144ea55f1f0c0d5de1e6060fc2ce0
        504912f0b8b07e31f783cdcd8300
        """)
    /// The last packet of a VP8 frame (marker set), PT 96, mid "1".
    static let vp8 = hex(
        """
        90e0375a5b4e36c7e6a846f6bede000322e051de3100064031d000008080969a4a496e1295faa9d312c03c6bbfefbce5
        f9e3db5a1f2766dea6ae5157a088b9a08b99084aa1ac7a2860499e2fdbe9e894379b5baa1ba2c1882e8b37b82e08fd2c
        e73e6dd9c39d73018add008bf4960ffb2ef47af95f0da134c5a88c704289029dca29b2926616328c008bd55c5a2cdee0
        b823f4b2e5e4c3e0ec92e4e1fdc335cd7e52b1d4dd16a69e071a141922256c736139a1dbaae4642a26c0e9e3cbc080fb
        f7d34a98a9ff2971e16a1f7aaa229df01b3333a0f60df6403dc8f30e1dfcd1d857c5dac2025267dc4f134f88b2e23a58
        ddc1e69a19019e62abe43d130c5242641f6eb77c8cd087ef18a8931efb27cadb990208369f8dc8e8405978459bdc1704
        a28e3878b989eb76f871d58f7229c518180edbbabdc3866693439c6cafa6b0be2677e02d6715d96974841c60483198c1
        0e4526acd14a2f7aed100f23bbae956d02805409c011acd04a68875ae43e1254ba449c5308df0dda68e2c5136074f207
        814de616dd15fe46db4f433471867febbd05d02fb6aba3c10f1a7c34d9cfad61017c30cb36e65b86b7c5adf868134f08
        5600789c1c0622a97ceb945c21bb31ccb9267696fb82e2ee13d370511426ae6eb6061fac89a762fae41f221c09275c84
        8f97ed97046d7fe9ec50d2b3a41d1339951c5d01d53e2dce6eb6061b18b4945b0a5a8a72b1434b740acaa05951a531a8
        d48037246aa043766399724ced2e754a1795ab627d2046483bf8e489ab7eaffe4aa9672cff192bd30ac0edf10604972b
        1eba05656683c3f9e320979d38ade68cf37e79eaa67fcea7a0dd7dc2c8df726990bb3d716b19f99fda0ecb37b189f5c2
        eeec60bfbaf8d8a92f23582f058b5e605c6a57fdde2044c6e773c4fd55d74fd1685b406536849d34aa148d5085c8f01b
        45060575ec3763755ca31bafed11d6ec586f098d1de3597b2d67e3d6b080bf03cea7a0e842d07fbb29819132d1cae62d
        422c8238ebbe4cbbe20c092e0686a0b0164e9ad0c55f51e204d5e3b86433f7feeff626f9e15743b69dc243b87f1817f7
        7008730ce5275be5a2fdd1d3a63847698b922f71bf492576551ba6c3b0096e0fba6e889048241208ecc02da32e9c713d
        7a97f582e9a1ea2505a48b0f466f332c16a36d4ffff0fb4b50a1bddb911e88797e1bd2493b972b85525674a31cc37b1a
        34c71d69abec67f336aa03e6b997ce886ae29c2bc415fc82f1796d8a7e64ac35ba1582fd0566c9d8a6c2af2e9285c7b7
        36944698014f0b2277a2acceec990ad48c4cde9b505e4c52cd8b93fdb5d11e5ec99ecfcd769c3ad2f533f24e982840ad
        7e0c79d734127f2ec1ebbe0c4e492bb2acd8dba0695ce119b89edebc6e1464c4ff450e9a12eeb515ee2ec21a06c522ea
        1e30497f67688908a6e0f0206f6145a791905da4ecb711cf2c18a35d4f6c5f9b84864813d23e802d64189309b69f13ec
        d6c7dd356c240e37102fc7b87964e755dc8fbf57c36ca23f6c604624597e13744e19b93f2bc1a27e56f8391e610f9448
        75e58e21c45532cb3000
        """)
    /// A bandwidth probe on the RTX stream (PT 97): no payload, 255 bytes of padding.
    static let rtxProbe = hex(
        """
        b0612705000000007af06e05bede0003403131000422e045140000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000ff
        """)
    /// Transport-wide congestion feedback about the server's video, padded (P bit) by libwebrtc.
    static let transportFeedback = hex(
        """
        afcd0008e6a846f6f354ba850002000b03249700200bda5911092e2a00090c0008000003
        """)
    /// Sender report and SDES with the CNAME of the browser's video.
    static let senderReport = hex(
        """
        80c80006e6a846f6eebd4ef8825abc0e5b4ed4fb0000001f0000540581ca0006e6a846f601104c353444777a79393857
        3169446d7a480000
        """)
    /// Receiver report about the server's two streams.
    static let receiverReport = hex(
        """
        82c9000de6a846f6f354ba85000000000000271300000586000000000000000068d71eee00000000000037680000015f
        0000000000000000
        """)
}

@Suite struct ChromiumCaptureTests {
    /// Chromium's Opus packet decodes with its one-byte extensions, and encodes to the same bytes.
    @Test func opusPacket() throws {
        let packet = try RTPPacket(decoding: ChromiumCaptures.opus)
        #expect(packet.payloadType == 111)
        #expect(!packet.marker)
        #expect(packet.sequenceNumber == 20135)
        #expect(packet.timestamp == 2657895894)
        #expect(packet.ssrc == 0x1cd7871e)
        let header = try #require(packet.headerExtension)
        #expect(header.isOneByteForm)
        #expect(try header.elements().map(\.id) == [2, 3, 4, 1])
        #expect(try header.value(forID: 4) == Array("0".utf8))
        #expect(try header.value(forID: 1) == [0xFF])
        #expect(packet.payload.count == 34)
        #expect(packet.encode() == ChromiumCaptures.opus)
        #expect(DatagramKind(classifying: ChromiumCaptures.opus) == .rtp)
    }

    /// A full-size VP8 packet with the video extensions, marker set, round trips.
    @Test func vp8Packet() throws {
        let packet = try RTPPacket(decoding: ChromiumCaptures.vp8)
        #expect(packet.payloadType == 96)
        #expect(packet.marker)
        #expect(packet.ssrc == 0xe6a846f6)
        #expect(try packet.headerExtension?.value(forID: 4) == Array("1".utf8))
        #expect(try packet.headerExtension?.value(forID: 13) == [0])
        #expect(packet.payload.count == 1086)
        #expect(packet.encode() == ChromiumCaptures.vp8)
        #expect(RTPPacket.sequenceNumber(in: ChromiumCaptures.vp8) == 14170)
    }

    /// The padding-only probe: 255 bytes of padding, no payload, on the RTX SSRC.
    @Test func paddingOnlyProbe() throws {
        let packet = try RTPPacket(decoding: ChromiumCaptures.rtxProbe)
        #expect(packet.payloadType == 97)
        #expect(packet.ssrc == 0x7af06e05)
        #expect(packet.paddingLength == 255)
        #expect(packet.payload.isEmpty)
        #expect(packet.encode() == ChromiumCaptures.rtxProbe)
    }

    /// Transport-wide feedback as libwebrtc writes it, padding included.
    @Test func transportFeedback() throws {
        let packets = try RTCPPacket.decodeCompound(ChromiumCaptures.transportFeedback)
        try #require(packets.count == 1)
        guard case .transportFeedback(let feedback) = packets[0] else {
            Issue.record("not transport-cc: \(packets[0])")
            return
        }
        #expect(feedback.senderSSRC == 0xe6a846f6)
        #expect(feedback.mediaSSRC == 0xf354ba85)
        #expect(feedback.baseSequenceNumber == 2)
        #expect(feedback.receiveDeltas.count == 11)
        #expect(DatagramKind(classifying: ChromiumCaptures.transportFeedback) == .rtcp)
    }

    /// Sender report plus SDES: timestamps, counts and the CNAME.
    @Test func senderReportWithCNAME() throws {
        let packets = try RTCPPacket.decodeCompound(ChromiumCaptures.senderReport)
        try #require(packets.count == 2)
        guard case .senderReport(let report) = packets[0], case .sourceDescription(let description) = packets[1] else {
            Issue.record("not SR + SDES: \(packets)")
            return
        }
        #expect(report.ssrc == 0xe6a846f6)
        #expect(report.ntpTimestamp == 0xeebd4ef8825abc0e)
        #expect(report.rtpTimestamp == 0x5b4ed4fb)
        #expect(report.packetCount == 31)
        #expect(report.octetCount == 21509)
        #expect(description.chunks.first?.cname == "L54Dwzy98W1iDmzH")
        #expect(RTCPPacket.encodeCompound(packets) == ChromiumCaptures.senderReport)
    }

    /// A receiver report with a block for each of the server's streams.
    @Test func receiverReport() throws {
        let packets = try RTCPPacket.decodeCompound(ChromiumCaptures.receiverReport)
        guard case .receiverReport(let report) = packets.first else {
            Issue.record("not RR: \(packets)")
            return
        }
        #expect(report.reportBlocks.map(\.ssrc) == [0xf354ba85, 0x68d71eee])
        #expect(RTCPPacket.encodeCompound(packets) == ChromiumCaptures.receiverReport)
    }
}
