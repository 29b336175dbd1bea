import RTP

/// Bytes from hex text; whitespace is ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// Hand-written packets shaped like what Chromium sends, shared by the codec and the
/// malformed-input tests.
enum Vectors {
    /// Opus (PT 111) with the one-byte extensions Chromium negotiates for audio:
    /// id 1 ssrc-audio-level (voice, -30 dBov), id 2 abs-send-time, id 3 transport-wide-cc.
    static let opus = hex(
        """
        906f1a2b 0000bb80 12345678
        bede0003 109e 22123456 310005 000000
        780be4c136e8ea19
        """)

    /// VP8 (PT 96, marker set) from a mixer (one CSRC) with two-byte extensions (RFC 8285
    /// section 4.3): id 3 with two bytes and id 16 with 17 bytes, neither of which the
    /// one-byte form can carry, then one padding byte to the word boundary.
    static let vp8 = hex(
        """
        91e0fffe 5a3b1c00 cafebabe 01020304
        10000006 0302002a 1011 000102030405060708090a0b0c0d0e0f10 00
        90809234 1002009d 012a8002 e001
        """)

    /// Length of ``vp8`` up to the payload: 12 fixed + 4 CSRC + 4 extension header + 24 data.
    static let vp8HeaderLength = 44

    /// Payload [1, 2, 3] then four bytes of padding, the last one counting them.
    static let padded = hex("a0000001 00000002 00000003 010203 00000004")

    /// A Chromium-style compound: SR without report blocks, then SDES with one CNAME.
    static let senderReportAndCNAME = hex(
        """
        80c80006 12345678 e72b5a00 80000000 0000bb80 00000064 00003e80
        81ca0006 12345678 0110 684e336647426e3457304666316d4972 00 00
        """)

    /// TWCC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01) for packets 100...130:
    /// a one-bit status vector, a run of 14 small deltas, a two-bit status vector holding a
    /// large delta of 1000 (250 ms), and one zero byte of padding.
    static let transportFeedback = hex(
        """
        8fcd000b fa17fa17 12345678
        0064001f 12345605
        b401 200e e100
        040008ff 0102030405060708090a0b0c0d0e 03e8 03 00
        """)
}
