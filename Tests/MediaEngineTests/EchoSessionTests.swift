import MediaCrypto
import MediaEngine
import RTP
import STUN
import Testing

/// The echo session against a simulated browser with real DTLS and SRTP: what comes back, on
/// which SSRC; NACK and PLI handling; who may talk to it; and how it ends.
@Suite struct EchoSessionTests {
    /// After ICE and DTLS, a packet comes back on the server's SSRC with the browser's payload,
    /// sequence number and payload type.
    @Test func mediaComesBackOnTheServersSSRC() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        for (payloadType, ssrc, server) in [
            (UInt8(111), SimulatedBrowser.audioSSRC, SimulatedBrowser.serverAudio.ssrc),
            (96, SimulatedBrowser.videoSSRC, SimulatedBrowser.serverVideo.ssrc),
            (97, SimulatedBrowser.videoRTXSSRC, SimulatedBrowser.serverVideo.rtxSSRC!),
        ] {
            let sent = try browser.rtp(payloadType: payloadType, ssrc: ssrc, sequenceNumber: 7)
            let back = browser.sent(session.receive(sent, from: browser.address, now: browser.now))
            try #require(back.count == 1)
            let echoed = try #require(try browser.decrypt(back[0]).rtp)
            #expect(RTPPacket.ssrc(in: echoed) == server)
            #expect(RTPPacket.sequenceNumber(in: echoed) == 7)
            #expect(RTPPacket.payloadType(in: echoed) == payloadType)
            #expect(echoed.suffix(20) == ArraySlice((0..<20).map { UInt8($0) ^ 7 }))
        }
        #expect(session.statistics.packetsEchoed == 3)
    }

    /// Before ICE has authenticated an address, DTLS and media from it are ignored; a check
    /// with the wrong password gets a 401 and authenticates nothing.
    @Test func onlyAuthenticatedAddressesReachDTLSAndMedia() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        let hello = browser.dtls.start(now: browser.now)
        #expect(hello.flatMap { session.receive($0, from: browser.address, now: browser.now) }.isEmpty)
        let refused = session.receive(
            browser.check(password: "not-the-server-password!"), from: browser.address, now: browser.now)
        let response = try STUNMessage(decoding: try #require(browser.sent(refused).first))
        #expect(response.type == .error(.binding))
        #expect(hello.flatMap { session.receive($0, from: browser.address, now: browser.now) }.isEmpty)
        #expect(!session.isConnected)
    }

    /// A NACK for a packet the server sent is answered with that packet; one for a packet that
    /// never reached the server is passed on to the browser, for its own stream.
    @Test func nacksAreAnsweredFromTheBufferOrPassedOn() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        var echoed: [UInt16: [UInt8]] = [:]
        for sequenceNumber: UInt16 in [10, 11, 12] {
            let sent = try browser.rtp(
                payloadType: 96, ssrc: SimulatedBrowser.videoSSRC, sequenceNumber: sequenceNumber)
            echoed[sequenceNumber] = browser.sent(session.receive(sent, from: browser.address, now: browser.now)).first
        }
        let nack = try browser.nack(mediaSSRC: SimulatedBrowser.serverVideo.ssrc, lost: [11, 40])
        let answers = browser.sent(session.receive(nack, from: browser.address, now: browser.now))
        try #require(answers.count == 2)
        #expect(answers[0] == echoed[11])
        let feedback = try #require(try browser.decrypt(answers[1]).rtcp)
        #expect(
            feedback.contains(
                .genericNACK(
                    RTCPGenericNACK(
                        senderSSRC: SimulatedBrowser.serverAudio.ssrc, mediaSSRC: SimulatedBrowser.videoSSRC,
                        lostSequenceNumbers: [40]))))
        #expect(session.statistics.packetsRetransmitted == 1)
    }

    /// Audio that negotiated no NACK (as Chromium's Opus does not) keeps no sent packets: a NACK
    /// about it is neither answered nor passed on to a sender that would not answer it either.
    @Test func streamsWithoutNACKKeepNothingToRetransmit() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let sent = try browser.rtp(payloadType: 111, ssrc: SimulatedBrowser.audioSSRC, sequenceNumber: 10)
        #expect(browser.sent(session.receive(sent, from: browser.address, now: browser.now)).count == 1)
        let nack = try browser.nack(mediaSSRC: SimulatedBrowser.serverAudio.ssrc, lost: [10, 11])
        #expect(session.receive(nack, from: browser.address, now: browser.now).isEmpty)
        #expect(session.statistics.packetsRetransmitted == 0)
    }

    /// A picture loss indication about the server's video becomes one about the browser's own
    /// video, so the browser's encoder sends a keyframe.
    @Test func keyframeRequestsReachTheBrowsersEncoder() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let video = try browser.rtp(payloadType: 96, ssrc: SimulatedBrowser.videoSSRC, sequenceNumber: 1)
        _ = session.receive(video, from: browser.address, now: browser.now)
        for request: RTCPPacket in [
            .pictureLossIndication(
                RTCPPictureLossIndication(senderSSRC: 5, mediaSSRC: SimulatedBrowser.serverVideo.ssrc)),
            .fullIntraRequest(
                RTCPFullIntraRequest(
                    senderSSRC: 5, entries: [.init(ssrc: SimulatedBrowser.serverVideo.ssrc, sequenceNumber: 1)])),
        ] {
            let sent = try browser.rtcp([.receiverReport(RTCPReceiverReport(ssrc: 5)), request])
            let back = browser.sent(session.receive(sent, from: browser.address, now: browser.now))
            let first = try #require(back.first)
            let feedback = try #require(try browser.decrypt(first).rtcp)
            #expect(
                feedback.contains(
                    .pictureLossIndication(
                        RTCPPictureLossIndication(
                            senderSSRC: SimulatedBrowser.serverAudio.ssrc, mediaSSRC: SimulatedBrowser.videoSSRC))))
        }
        // Before any video arrived, nobody is known to ask: nothing is sent for an unknown SSRC.
        let unknown = try browser.rtcp([
            .receiverReport(RTCPReceiverReport(ssrc: 5)),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 5, mediaSSRC: 12345)),
        ])
        #expect(browser.sent(session.receive(unknown, from: browser.address, now: browser.now)).isEmpty)
    }

    /// The browser's transport-wide feedback about echoed packets is reflected to it, about its
    /// own stream: its congestion control then sees the round trip instead of silence.
    @Test func congestionFeedbackIsReflected() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let video = try browser.rtp(payloadType: 96, ssrc: SimulatedBrowser.videoSSRC, sequenceNumber: 1)
        _ = session.receive(video, from: browser.address, now: browser.now)
        let feedback = RTCPTransportFeedback(
            senderSSRC: 5, mediaSSRC: SimulatedBrowser.serverVideo.ssrc, baseSequenceNumber: 100, referenceTime: 7,
            feedbackPacketCount: 1, receiveDeltas: [4, nil, 8])
        let sent = try browser.rtcp([.receiverReport(RTCPReceiverReport(ssrc: 5)), .transportFeedback(feedback)])
        let back = browser.sent(session.receive(sent, from: browser.address, now: browser.now))
        let first = try #require(back.first)
        let reflected = try #require(try browser.decrypt(first).rtcp)
        var expected = feedback
        expected.senderSSRC = SimulatedBrowser.serverAudio.ssrc
        expected.mediaSSRC = SimulatedBrowser.videoSSRC
        #expect(reflected.contains(.transportFeedback(expected)))
    }

    /// Packets of a payload type the answer did not agree to, or that fail SRTP authentication,
    /// are dropped and counted.
    @Test func unagreedAndForgedPacketsAreDropped() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let stray = try browser.rtp(payloadType: 100, ssrc: 77, sequenceNumber: 1)
        #expect(session.receive(stray, from: browser.address, now: browser.now).isEmpty)
        var forged = try browser.rtp(payloadType: 111, ssrc: SimulatedBrowser.audioSSRC, sequenceNumber: 2)
        forged[forged.count - 1] ^= 0xFF
        #expect(session.receive(forged, from: browser.address, now: browser.now).isEmpty)
        #expect(session.statistics.packetsUnrouted == 1)
        #expect(session.statistics.packetsUnauthenticated == 1)
    }

    /// Each server SSRC echoes the first browser SSRC seen with its payload type: a second one of
    /// that payload type (a simulcast layer the answer refused) is dropped, while the first keeps
    /// its stream, and feedback about the stream goes to the first.
    @Test func aSecondSourceOfOnePayloadTypeIsNotEchoed() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let first = try browser.rtp(payloadType: 96, ssrc: SimulatedBrowser.videoSSRC, sequenceNumber: 1)
        #expect(browser.sent(session.receive(first, from: browser.address, now: browser.now)).count == 1)
        let secondLayer = try browser.rtp(payloadType: 96, ssrc: 0x0D0D_0D0D, sequenceNumber: 1)
        #expect(session.receive(secondLayer, from: browser.address, now: browser.now).isEmpty)
        #expect(session.statistics.packetsUnrouted == 1)
        let again = try browser.rtp(payloadType: 96, ssrc: SimulatedBrowser.videoSSRC, sequenceNumber: 2)
        let back = browser.sent(session.receive(again, from: browser.address, now: browser.now))
        let echoedDatagram = try #require(back.first)
        let echoed = try #require(try browser.decrypt(echoedDatagram).rtp)
        #expect(RTPPacket.ssrc(in: echoed) == SimulatedBrowser.serverVideo.ssrc)

        let request = RTCPPictureLossIndication(senderSSRC: 5, mediaSSRC: SimulatedBrowser.serverVideo.ssrc)
        let sent = try browser.rtcp([.receiverReport(RTCPReceiverReport(ssrc: 5)), .pictureLossIndication(request)])
        let feedback = browser.sent(session.receive(sent, from: browser.address, now: browser.now))
        let feedbackDatagram = try #require(feedback.first)
        let passedOn = try #require(try browser.decrypt(feedbackDatagram).rtcp)
        #expect(
            passedOn.contains(
                .pictureLossIndication(
                    RTCPPictureLossIndication(
                        senderSSRC: SimulatedBrowser.serverAudio.ssrc, mediaSSRC: SimulatedBrowser.videoSSRC))))
    }

    /// Thirty seconds without a check from the nominated address end the session (RFC 7675).
    @Test func silenceEndsTheSession() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        #expect(session.poll(now: browser.now + .seconds(29)).isEmpty)
        #expect(session.poll(now: browser.now + .seconds(31)) == [.ended(.consentLost)])
        #expect(session.isEnded)
        #expect(session.nextDeadline == nil)
    }

    /// The deadline the IO shell waits for follows the session: the setup timeout until DTLS is
    /// up, then consent, which each check from the browser moves on.
    @Test func theNextDeadlineFollowsSetupAndConsent() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(session.nextDeadline == browser.now + .seconds(20))
        #expect(browser.connect(to: session))
        #expect(session.nextDeadline == browser.now + .seconds(30))
        let later = browser.now + .seconds(10)
        #expect(browser.sent(session.receive(browser.check(), from: browser.address, now: later)).count == 1)
        #expect(session.nextDeadline == later + .seconds(30))
    }

    /// An offer nobody follows up ends at the setup timeout, freeing its slot.
    @Test func abandonedSessionsTimeOut() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(session.nextDeadline == browser.now + .seconds(20))
        #expect(session.poll(now: browser.now + .seconds(19)).isEmpty)
        #expect(session.poll(now: browser.now + .seconds(20)) == [.ended(.setupTimedOut)])
    }

    /// A DTLS certificate that is not the one the offer's fingerprint names fails the handshake.
    @Test func certificateMustMatchTheOffer() throws {
        let other = try DTLSCertificate.generate(commonName: "someone else")
        let browser = try SimulatedBrowser(fingerprintOverride: other.fingerprintSHA256)
        let session = try browser.makeSession()
        #expect(!browser.connect(to: session))
        #expect(session.isEnded)
    }

    /// Closing sends the browser a close_notify and ends the session.
    @Test func closingSaysGoodbye() throws {
        let browser = try SimulatedBrowser()
        let session = try browser.makeSession()
        #expect(browser.connect(to: session))
        let outputs = session.close()
        #expect(outputs.last == .ended(.closed))
        let goodbye = browser.sent(outputs)
        #expect(!goodbye.isEmpty)
        _ = goodbye.flatMap { browser.dtls.receive($0, now: browser.now) }
        #expect(browser.dtls.state == .closed)
    }
}
