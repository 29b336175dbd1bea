import RTP
import Testing

@Suite struct TransportFeedbackTests {
    /// The hand-written TWCC packet decodes into per-packet statuses: a one-bit vector, a run,
    /// and a two-bit vector with a large delta. Encoding picks the same chunks, byte for byte.
    @Test func decodesBothChunkKindsAndALargeDelta() throws {
        let packets = try RTCPPacket.decodeCompound(Vectors.transportFeedback)
        guard case .transportFeedback(let feedback) = try #require(packets.first), packets.count == 1 else {
            Issue.record("not one transport feedback packet: \(packets)")
            return
        }
        #expect(feedback.senderSSRC == 0xFA17_FA17)
        #expect(feedback.mediaSSRC == 0x1234_5678)
        #expect(feedback.baseSequenceNumber == 100)
        #expect(feedback.referenceTime == 0x12_3456)
        #expect(feedback.feedbackPacketCount == 5)
        let oneBitVector: [Int16?] = [4, 0, nil, 8, nil, nil, nil, nil, nil, nil, nil, nil, nil, 255]
        let run: [Int16?] = (1...14).map { Int16($0) }
        let twoBitVector: [Int16?] = [1000, nil, 3]
        let expected = oneBitVector + run + twoBitVector
        #expect(feedback.receiveDeltas == expected)
        #expect(feedback.packets.count == 31)
        #expect(feedback.packets.first == .init(sequenceNumber: 100, receiveDelta: 4))
        #expect(feedback.packets[2] == .init(sequenceNumber: 102, receiveDelta: nil))
        #expect(feedback.packets[2].isReceived == false)
        #expect(feedback.packets[28] == .init(sequenceNumber: 128, receiveDelta: 1000))
        #expect(feedback.packets.last == .init(sequenceNumber: 130, receiveDelta: 3))
        #expect(RTCPPacket.encodeCompound(packets) == Vectors.transportFeedback)
    }

    /// Building from per-packet deltas: negative deltas are large, the reference time is
    /// signed 24 bits, and sequence numbers wrap past 65535.
    @Test func encodesNegativeDeltasAndReferenceTime() throws {
        let feedback = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65534, referenceTime: -2, feedbackPacketCount: 255,
            receiveDeltas: [10, -4, nil])
        let bytes = RTCPPacket.transportFeedback(feedback).encode()
        #expect(
            bytes
                == hex(
                    """
                    8fcd0006 00000001 00000002
                    fffe0003 fffffeff
                    d800
                    0a fffc 000000
                    """))
        #expect(try RTCPPacket.decodeCompound(bytes) == [.transportFeedback(feedback)])
        #expect(feedback.packets.map(\.sequenceNumber) == [65534, 65535, 0])
    }

    /// Runs longer than 8191 split into several run-length chunks.
    @Test func longRunsSplit() throws {
        let feedback = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0,
            receiveDeltas: Array(repeating: nil, count: 10000) + [7])
        let bytes = RTCPPacket.transportFeedback(feedback).encode()
        #expect(bytes.count == 28)
        #expect(Array(bytes[20..<27]) == hex("1fff 0711 2001 07"))
        #expect(try RTCPPacket.decodeCompound(bytes) == [.transportFeedback(feedback)])
    }

    /// No packets: no chunks, no deltas.
    @Test func emptyFeedback() throws {
        let feedback = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 5, referenceTime: 1, feedbackPacketCount: 1,
            receiveDeltas: [])
        let bytes = RTCPPacket.transportFeedback(feedback).encode()
        #expect(bytes == hex("8fcd0004 00000001 00000002 00050000 00000101"))
        #expect(try RTCPPacket.decodeCompound(bytes) == [.transportFeedback(feedback)])
    }
}
