// libFuzzer entry for the RTP, RTCP and demultiplexing decoders: every input must decode or
// throw, never trap, and whatever decodes must re-encode and decode to an equal value.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let kind = DatagramKind(classifying: bytes)
    if let first = bytes.first, kind == .stun { precondition(first <= 3) }
    if let packet = try? RTPPacket(decoding: bytes) {
        checkRTP(packet, from: bytes)
    }
    if let packets = try? RTCPPacket.decodeCompound(bytes) {
        checkRTCP(packets)
    }
    checkUnwrappers(bytes)
    return 0
}

func checkRTP(_ packet: RTPPacket, from bytes: [UInt8]) {
    let encoded = packet.encode()
    // Without padding nothing is lost in decoding, so the bytes come back exactly.
    if packet.paddingLength == 0 { precondition(encoded == bytes, "RTP re-encoding differs") }
    precondition(encoded.count == bytes.count, "RTP re-encoding changed the length")
    guard let again = try? RTPPacket(decoding: encoded) else { fatalError("re-encoded RTP does not decode") }
    precondition(again == packet, "RTP round trip differs")

    precondition(RTPPacket.sequenceNumber(in: bytes) == packet.sequenceNumber)
    precondition(RTPPacket.timestamp(in: bytes) == packet.timestamp)
    precondition(RTPPacket.ssrc(in: bytes) == packet.ssrc)
    precondition(RTPPacket.payloadType(in: bytes) == packet.payloadType)
    precondition(RTPPacket.marker(in: bytes) == packet.marker)
    var rewritten = bytes
    precondition(RTPPacket.setSequenceNumber(packet.sequenceNumber &+ 1, in: &rewritten))
    precondition(RTPPacket.setPayloadType(packet.payloadType &+ 1, in: &rewritten))
    precondition(RTPPacket.setSSRC(~packet.ssrc, in: &rewritten))
    var expected = packet
    expected.sequenceNumber &+= 1
    expected.payloadType = (packet.payloadType &+ 1) & 0x7F
    expected.ssrc = ~packet.ssrc
    precondition((try? RTPPacket(decoding: rewritten)) == expected, "in-place rewrite differs")

    if let headerExtension = packet.headerExtension, let elements = try? headerExtension.elements(),
        headerExtension.isOneByteForm || headerExtension.isTwoByteForm,
        let rebuilt = RTPHeaderExtension(elements: elements)
    {
        precondition((try? rebuilt.elements()) == elements, "rebuilt extension elements differ")
    }
}

func checkRTCP(_ packets: [RTCPPacket]) {
    let encoded = RTCPPacket.encodeCompound(packets)
    guard let again = try? RTCPPacket.decodeCompound(encoded) else { fatalError("re-encoded RTCP does not decode") }
    precondition(again == packets, "RTCP round trip differs")
    for packet in packets {
        switch packet {
        case .genericNACK(let nack):
            let lost = nack.lostSequenceNumbers
            let packed = RTCPGenericNACK(senderSSRC: 0, mediaSSRC: 0, lostSequenceNumbers: lost)
            precondition(Set(packed.lostSequenceNumbers) == Set(lost), "NACK packing lost a number")
        case .transportFeedback(let feedback):
            let statuses = feedback.packets
            precondition(statuses.count == feedback.receiveDeltas.count)
            precondition(statuses.first.map { $0.sequenceNumber == feedback.baseSequenceNumber } ?? true)
        case .receiverEstimatedMaximumBitrate(let remb) where remb.exponent & 0x3F <= 46:
            let canonical = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: remb.bitrate, ssrcs: [])
            precondition(canonical.bitrate == remb.bitrate, "REMB bitrate not representable canonically")
        default:
            break
        }
    }
}

/// Pairs of bytes as sequence numbers: each extended value keeps the raw low bits and moves
/// at most half the range from the one before.
func checkUnwrappers(_ bytes: [UInt8]) {
    var unwrapper = SequenceNumberUnwrapper()
    var previous: Int64?
    var index = 0
    while index + 1 < bytes.count {
        let raw = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        let unwrapped = unwrapper.unwrap(raw)
        precondition(unwrapped >= 0 && UInt16(truncatingIfNeeded: unwrapped) == raw)
        if let previous {
            // A step back past zero is taken forward instead, so only then may it jump further.
            let step = unwrapped - previous
            precondition(abs(step) <= 0x8000 || (step > 0 && previous < 0x8000), "unwrap jumped too far")
        }
        previous = unwrapped
        index += 2
    }
}
