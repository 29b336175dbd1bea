import MediaCrypto
import Testing

@Suite struct SRTPRoundTripTests {
    static let profiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]

    static func contexts(_ profile: SRTPProtectionProfile) throws -> (sender: SRTPContext, receiver: SRTPContext) {
        let key = (0..<profile.keyLength).map { UInt8($0 &* 7 &+ 1) }
        let salt = (0..<profile.saltLength).map { UInt8($0 &* 13 &+ 5) }
        return (
            try SRTPContext(profile: profile, key: key, salt: salt, direction: .outbound),
            try SRTPContext(profile: profile, key: key, salt: salt, direction: .inbound)
        )
    }

    static func rtp(sequence: UInt16, payload: [UInt8] = Array("a media payload".utf8)) -> [UInt8] {
        [0x80, 0x6F, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF]
            + payload
    }

    /// A receiver report with one report block: what a browser sends most.
    static let rtcp = hex("81c90007 deadbeef 11223344 00000000 00000001 00000000 00000000 00000000")

    /// Protect then unprotect gives back the original packet; the protected one differs and is longer.
    @Test(arguments: profiles) func rtpRoundTrips(profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.contexts(profile)
        for sequence: UInt16 in [1, 2, 3, 65_535, 0] {
            let plain = Self.rtp(sequence: sequence)
            var packet = plain
            try sender.protectRTP(&packet)
            #expect(packet.count == plain.count + (profile == .aeadAES128GCM ? 16 : 10))
            #expect(packet.suffix(from: 12).prefix(plain.count - 12) != plain.suffix(from: 12)[...])
            try receiver.unprotectRTP(&packet)
            #expect(packet == plain)
        }
    }

    /// A changed byte anywhere (header, payload or tag) fails authentication, and the genuine
    /// packet still passes afterwards (a failure does not advance the replay window). What is left
    /// in a refused packet is unspecified: with AES-GCM libsrtp has decrypted it in place.
    @Test(arguments: profiles) func tamperedRTPIsRejected(profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.contexts(profile)
        var protected = Self.rtp(sequence: 10)
        try sender.protectRTP(&protected)
        for index in [1, 11, 12, protected.count - 1] {
            var tampered = protected
            tampered[index] ^= 0x01
            #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&tampered) }
        }
        try receiver.unprotectRTP(&protected)
        #expect(protected == Self.rtp(sequence: 10))
    }

    /// The same packet accepted twice is refused the second time (replay protection).
    @Test(arguments: profiles) func replayedRTPIsRejected(profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.contexts(profile)
        var packet = Self.rtp(sequence: 20)
        try sender.protectRTP(&packet)
        var first = packet
        try receiver.unprotectRTP(&first)
        var replay = packet
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&replay) }
    }

    /// Outbound may protect the same packet again (a NACKed packet re-sent), giving the same bytes.
    @Test(arguments: profiles) func outboundMayProtectAPacketTwice(profile: SRTPProtectionProfile) throws {
        let (sender, _) = try Self.contexts(profile)
        var first = Self.rtp(sequence: 30)
        var second = first
        try sender.protectRTP(&first)
        try sender.protectRTP(&second)
        #expect(first == second)
    }

    /// RTCP round-trips; a tampered or replayed SRTCP packet is refused.
    @Test(arguments: profiles) func rtcpRoundTripsAndRejectsTamperingAndReplay(profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try Self.contexts(profile)
        var packet = Self.rtcp
        try sender.protectRTCP(&packet)
        #expect(packet.count == Self.rtcp.count + 4 + (profile == .aeadAES128GCM ? 16 : 10))
        var tampered = packet
        tampered[10] ^= 0x80
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTCP(&tampered) }
        var plain = packet
        try receiver.unprotectRTCP(&plain)
        #expect(plain == Self.rtcp)
        var replay = packet
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTCP(&replay) }
    }

    /// Packets over 1500 bytes, too short, or with a header longer than the packet are refused.
    @Test func oversizedAndMalformedPacketsAreRefused() throws {
        let (sender, receiver) = try Self.contexts(.aeadAES128GCM)
        var big = Self.rtp(sequence: 1, payload: [UInt8](repeating: 7, count: 1489))
        #expect(big.count == 1501)
        #expect(throws: MediaCryptoError.packetTooLarge(size: 1501, maximum: 1500)) { try sender.protectRTP(&big) }
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&big) }
        var rtcpBig = [UInt8](repeating: 0x81, count: 1501)
        #expect(throws: MediaCryptoError.self) { try sender.protectRTCP(&rtcpBig) }
        var largest = Self.rtp(sequence: 2, payload: [UInt8](repeating: 7, count: 1488))
        try sender.protectRTP(&largest)
        #expect(largest.count == 1516)
        for var short in [[], [0x80], Array(Self.rtp(sequence: 3).prefix(11))] as [[UInt8]] {
            #expect(throws: MediaCryptoError.self) { try sender.protectRTP(&short) }
            #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&short) }
            #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTCP(&short) }
        }
        // Fifteen CSRCs claimed in a 20-byte packet; an extension header running past the end.
        var csrcs = Self.rtp(sequence: 4, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        csrcs[0] = 0x8F
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&csrcs) }
        var extended = Self.rtp(sequence: 5, payload: [0xBE, 0xDE, 0x00, 0x40, 1, 2, 3, 4])
        extended[0] = 0x90
        #expect(throws: MediaCryptoError.self) { try receiver.unprotectRTP(&extended) }
    }

    /// Keys or salts of the wrong length are refused at init.
    @Test func wrongKeyLengthsAreRefused() {
        #expect(throws: MediaCryptoError.self) {
            _ = try SRTPContext(
                profile: .aeadAES128GCM, key: [UInt8](repeating: 1, count: 16),
                salt: [UInt8](repeating: 1, count: 14), direction: .inbound)
        }
        #expect(throws: MediaCryptoError.self) {
            _ = try SRTPContext(
                profile: .aes128CMHMACSHA1_80, key: [UInt8](repeating: 1, count: 32),
                salt: [UInt8](repeating: 1, count: 14), direction: .outbound)
        }
    }

    /// Errors say which library call failed and libsrtp's name for the status.
    @Test func errorsDescribeTheFailure() throws {
        let (_, receiver) = try Self.contexts(.aes128CMHMACSHA1_80)
        var garbage = Self.rtp(sequence: 1) + [UInt8](repeating: 0, count: 10)
        do {
            try receiver.unprotectRTP(&garbage)
            Issue.record("garbage was accepted")
        } catch {
            #expect(error.description.contains("srtp_unprotect"))
            #expect(error.description.contains("auth_fail"))
        }
    }
}
