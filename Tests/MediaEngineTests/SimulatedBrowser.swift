import ICE
import MediaCrypto
import MediaEngine
import RTP
import SDP
import STUN

/// The browser side of an echo session, in memory: its offer, ICE checks as Chromium sends
/// them, a real DTLS client (OpenSSL through MediaCrypto) and real SRTP, so a test drives an
/// ``EchoSession`` exactly as a browser would, under simulated time.
final class SimulatedBrowser {
    static let serverICE = ICECredentials(ufrag: "srvr", password: "serverpasswordof24chars0")
    static let browserICE = ICECredentials(ufrag: "brws", password: "browserpassword24charsxx")
    static let audioSSRC: UInt32 = 0x0A0A_0A0A
    static let videoSSRC: UInt32 = 0x0B0B_0B0B
    static let videoRTXSSRC: UInt32 = 0x0C0C_0C0C
    static let serverAudio = OutgoingStream(ssrc: 0x1111_1111)
    static let serverVideo = OutgoingStream(ssrc: 0x2222_2222, rtxSSRC: 0x2222_2223)

    let address: TransportAddress
    let certificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
    let dtls: DTLSEndpoint
    private(set) var inbound: SRTPContext?
    private(set) var outbound: SRTPContext?
    var now: ContinuousClock.Instant

    init(address: TransportAddress = TransportAddress("192.0.2.10:50000")!, fingerprintOverride: String? = nil) throws {
        self.address = address
        certificate = try DTLSCertificate.generate(commonName: "browser")
        serverCertificate = try DTLSCertificate.generate(commonName: "server")
        dtls = try DTLSEndpoint(
            role: .client, certificate: certificate, remoteFingerprintSHA256: serverCertificate.fingerprintSHA256)
        now = .now
        offerFingerprint = fingerprintOverride ?? certificate.fingerprintSHA256
    }

    private let offerFingerprint: String

    /// Chromium's offer, cut to what matters: Opus, VP8 with RTX, BUNDLE, rtcp-mux.
    var offer: String {
        [
            "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:\(Self.browserICE.ufrag)", "a=ice-pwd:\(Self.browserICE.password)",
            "a=fingerprint:sha-256 \(offerFingerprint)", "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2", "a=ssrc:\(Self.audioSSRC) cname:browser",
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0",
            "a=ice-ufrag:\(Self.browserICE.ufrag)", "a=ice-pwd:\(Self.browserICE.password)",
            "a=fingerprint:sha-256 \(offerFingerprint)", "a=setup:actpass", "a=mid:1", "a=sendrecv", "a=rtcp-mux",
            "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli",
            "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
            "a=ssrc-group:FID \(Self.videoSSRC) \(Self.videoRTXSSRC)", "a=ssrc:\(Self.videoSSRC) cname:browser",
            "a=ssrc:\(Self.videoRTXSSRC) cname:browser",
        ].joined(separator: "\r\n") + "\r\n"
    }

    /// The server's session for this browser's offer, as the media service makes it.
    func makeSession(configuration: EchoSession.Configuration = EchoSession.Configuration()) throws -> EchoSession {
        var options = AnswerOptions(
            iceUsernameFragment: Self.serverICE.ufrag, icePassword: Self.serverICE.password,
            fingerprint: try Fingerprint(parsing: "sha-256 \(serverCertificate.fingerprintSHA256)"),
            candidates: [Candidate.udpHost(address: "198.51.100.1", port: 7882, foundation: "1")], sessionID: 1,
            sessionVersion: 1)
        options.outgoing = ["0": Self.serverAudio, "1": Self.serverVideo]
        let answer = try EchoAnswer(offer: try SessionDescription(parsing: offer), options: options)
        return try EchoSession(
            negotiated: answer.negotiated, local: Self.serverICE, certificate: serverCertificate, now: now,
            configuration: configuration)
    }

    /// A Binding request as Chromium sends it, nominating when `nominate`.
    func check(nominate: Bool = true, password: String = SimulatedBrowser.serverICE.password) -> [UInt8] {
        var message = STUNMessage(type: .request(.binding), transactionID: .random())
        message.append(Username(text: "\(Self.serverICE.ufrag):\(Self.browserICE.ufrag)"))
        message.append(ICEControlling(tieBreaker: 42))
        message.append(Priority(1_853_824_767))
        if nominate { message.append(UseCandidate()) }
        return message.encode(
            integrity: .sha1(key: MessageIntegrity.shortTermKey(password: password)), fingerprint: true)
    }

    /// ICE, then the DTLS handshake, datagram by datagram; true once both sides have keys.
    @discardableResult
    func connect(to session: EchoSession) -> Bool {
        _ = session.receive(check(), from: address, now: now)
        var toServer = dtls.start(now: now)
        for _ in 0..<20 where !toServer.isEmpty {
            var toBrowser: [[UInt8]] = []
            for datagram in toServer { toBrowser += sent(session.receive(datagram, from: address, now: now)) }
            toServer = toBrowser.flatMap { dtls.receive($0, now: now) }
            keysIfConnected()
        }
        return inbound != nil && session.isConnected
    }

    private func keysIfConnected() {
        guard inbound == nil, case .connected(let keys) = dtls.state else { return }
        inbound = try? SRTPContext(
            profile: keys.profile, key: keys.remoteKey, salt: keys.remoteSalt, direction: .inbound)
        outbound = try? SRTPContext(
            profile: keys.profile, key: keys.localKey, salt: keys.localSalt, direction: .outbound)
    }

    /// The datagrams among `outputs` sent to this browser.
    func sent(_ outputs: [EchoSessionOutput]) -> [[UInt8]] {
        outputs.compactMap { output in
            if case .send(let bytes, let destination) = output, destination == address { return bytes }
            return nil
        }
    }

    /// An SRTP packet of this browser's: `payloadType`, `ssrc`, `sequenceNumber`, 20 payload bytes.
    func rtp(payloadType: UInt8, ssrc: UInt32, sequenceNumber: UInt16) throws -> [UInt8] {
        var packet: [UInt8] = [0x80, payloadType, UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF)]
        packet += [0, 0, 0x10, 0]  // timestamp
        packet += [UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)]
        packet += (0..<20).map { UInt8($0) ^ UInt8(sequenceNumber & 0xFF) }
        try outbound!.protectRTP(&packet)
        return packet
    }

    func rtcp(_ packets: [RTCPPacket]) throws -> [UInt8] {
        var compound = RTCPPacket.encodeCompound(packets)
        try outbound!.protectRTCP(&compound)
        return compound
    }

    /// An SRTCP compound as Chromium sends a NACK: a receiver report, then the generic NACK
    /// for `lost` packets of the server's `mediaSSRC`.
    func nack(mediaSSRC: UInt32, lost: [UInt16]) throws -> [UInt8] {
        try rtcp([
            .receiverReport(RTCPReceiverReport(ssrc: 99)),
            .genericNACK(RTCPGenericNACK(senderSSRC: 99, mediaSSRC: mediaSSRC, lostSequenceNumbers: lost)),
        ])
    }

    /// Decrypts what the server sent: RTP packets and RTCP compounds, told apart as the server does.
    func decrypt(_ datagram: [UInt8]) throws -> (rtp: [UInt8]?, rtcp: [RTCPPacket]?) {
        var bytes = datagram
        switch DatagramKind(classifying: datagram) {
        case .rtp:
            try inbound!.unprotectRTP(&bytes)
            return (bytes, nil)
        case .rtcp:
            try inbound!.unprotectRTCP(&bytes)
            return (nil, try RTCPPacket.decodeCompound(bytes))
        default:
            return (nil, nil)
        }
    }
}
