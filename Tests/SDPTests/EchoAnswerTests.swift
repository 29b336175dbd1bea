import Foundation
import SDP
import Testing

/// The echo service's answers: ICE-lite, DTLS server, one BUNDLE transport, Opus, VP8 and H.264.
@Suite struct EchoAnswerTests {
    /// The whole answer to Chromium's offer, line by line, written out by hand from RFC 8829's
    /// rules: audio Opus, video VP8 + H.264 42e01f with their RTX, the data channel rejected.
    static let expectedChromiumAnswer = crlf(
        """
        v=0
        o=- 8000000000000000001 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=extmap-allow-mixed
        a=ice-lite
        m=audio 40000 UDP/TLS/RTP/SAVPF 111
        c=IN IP4 198.51.100.10
        a=candidate:1 1 udp 2130706431 198.51.100.10 40000 typ host
        a=end-of-candidates
        a=ice-ufrag:srvU
        a=ice-pwd:serverpasswordserverpw
        a=fingerprint:sha-256 \(Server.fingerprintHex)
        a=setup:passive
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        m=video 40000 UDP/TLS/RTP/SAVPF 96 97 106 107
        c=IN IP4 198.51.100.10
        a=ice-ufrag:srvU
        a=ice-pwd:serverpasswordserverpw
        a=fingerprint:sha-256 \(Server.fingerprintHex)
        a=setup:passive
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:106 H264/90000
        a=rtcp-fb:106 goog-remb
        a=rtcp-fb:106 transport-cc
        a=rtcp-fb:106 ccm fir
        a=rtcp-fb:106 nack
        a=rtcp-fb:106 nack pli
        a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=106
        m=application 0 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=mid:2
        """)

    static func answer(_ offerText: String) throws -> EchoAnswer {
        try EchoAnswer(offer: try SessionDescription(parsing: offerText), options: Server.options)
    }

    /// The answer to Chromium's offer is exactly the expected text.
    @Test func chromiumOfferAnswerText() throws {
        let text = try Self.answer(Offers.chromium).answer.serialized()
        // Line by line first, so a difference names the line.
        let got = lines(text)
        let expected = lines(Self.expectedChromiumAnswer)
        for (index, (line, want)) in zip(got, expected).enumerated() {
            #expect(line == want, "line \(index + 1)")
        }
        #expect(got.count == expected.count)
        #expect(text == Self.expectedChromiumAnswer)
        #expect(text.hasSuffix("\r\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    /// The important lines, one by one: what makes the browser accept and use the transport.
    @Test func importantLines() throws {
        let answerLines = lines(try Self.answer(Offers.chromium).answer.serialized())
        #expect(answerLines.filter { $0.hasPrefix("a=group:") } == ["a=group:BUNDLE 0 1"])
        #expect(answerLines.filter { $0 == "a=ice-lite" }.count == 1)
        #expect(answerLines.firstIndex(of: "a=ice-lite")! < answerLines.firstIndex { $0.hasPrefix("m=") }!)
        #expect(answerLines.filter { $0 == "a=setup:passive" }.count == 2)
        #expect(!answerLines.contains("a=setup:actpass"))
        #expect(answerLines.filter { $0 == "a=fingerprint:sha-256 \(Server.fingerprintHex)" }.count == 2)
        #expect(
            answerLines.filter { $0.hasPrefix("m=") } == [
                "m=audio 40000 UDP/TLS/RTP/SAVPF 111",
                "m=video 40000 UDP/TLS/RTP/SAVPF 96 97 106 107",
                "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
            ])
        #expect(
            answerLines.filter { $0.hasPrefix("a=rtpmap:") } == [
                "a=rtpmap:111 opus/48000/2", "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000",
                "a=rtpmap:106 H264/90000", "a=rtpmap:107 rtx/90000",
            ])
        #expect(answerLines.contains("a=fmtp:97 apt=96"))
        #expect(answerLines.contains("a=fmtp:107 apt=106"))
        // Kept: the allow-list with the offer's ids. Dropped: playout-delay, rid, timing, ...
        #expect(answerLines.contains("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset"))
        #expect(answerLines.contains("a=extmap:13 urn:3gpp:video-orientation"))
        for dropped in ["playout-delay", "video-content-type", "video-timing", "color-space", "rtp-stream-id"] {
            #expect(!answerLines.contains { $0.contains(dropped) }, "\(dropped) kept")
        }
        #expect(answerLines.filter { $0.hasPrefix("a=candidate:") }.count == 1)
        #expect(answerLines.filter { $0 == "a=end-of-candidates" }.count == 1)
        // Nothing of the browser's own identity is echoed into the answer.
        #expect(!answerLines.contains { $0.hasPrefix("a=ssrc") || $0.contains("Xk7q") })
    }

    /// What was negotiated, as the media engine reads it.
    @Test func negotiatedValues() throws {
        let negotiated = try Self.answer(Offers.chromium).negotiated
        #expect(negotiated.bundle == ["0", "1"])
        #expect(negotiated.remoteICEUsernameFragment == "Xk7q")
        #expect(negotiated.remoteICEPassword == "p8Zr2mYc9WbKx4NdQa1TfLhE")
        #expect(negotiated.remoteFingerprints.map(\.hexText) == [Offers.browserFingerprintHex])
        #expect(negotiated.media.map(\.mid) == ["0", "1"])

        let audio = try #require(negotiated.media(mid: "0"))
        #expect(audio.kind == .audio)
        #expect(audio.direction == .sendrecv)
        #expect(
            audio.codecs == [
                NegotiatedCodec(
                    payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                    parameters: "minptime=10;useinbandfec=1",
                    rtcpFeedback: [RTCPFeedback(payloadType: 111, type: "transport-cc")])
            ])
        #expect(audio.rtxPayloadTypes.isEmpty)
        #expect(audio.headerExtensions.map(\.id) == [1, 2, 3, 4])
        #expect(audio.headerExtensionID(uri: "urn:ietf:params:rtp-hdrext:sdes:mid") == 4)
        #expect(audio.remoteSSRCs == [3_735_928_559])
        #expect(audio.rtcpMux && audio.rtcpReducedSize)

        let video = try #require(negotiated.media(mid: "1"))
        #expect(video.kind == .video)
        #expect(video.codecs.map(\.payloadType) == [96, 106])
        #expect(video.codecs.map(\.name) == ["VP8", "H264"])
        #expect(video.codecs.map(\.rtxPayloadType) == [97, 107])
        #expect(video.rtxPayloadTypes == [97: 96, 107: 106])
        #expect(video.codecs[0].rtcpFeedback.count == 5)
        #expect(video.headerExtensions.map(\.id) == [14, 2, 13, 3, 4])
        #expect(video.headerExtensionID(uri: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") == nil)
        #expect(video.remoteSSRCs == [1_122_334_455, 2_233_445_566])
        #expect(video.remoteSSRCGroups == [SSRCGroup(semantics: "FID", ssrcs: [1_122_334_455, 2_233_445_566])])
        #expect(negotiated.media(mid: "2") == nil)
    }

    /// Reading the answer back with the parser gives what `negotiated` says, section by section.
    @Test(arguments: Offers.all)
    func parsedAnswerMatchesNegotiated(offer: NamedOffer) throws {
        let offerText = offer.text
        let echo = try Self.answer(offerText)
        let answer = try SessionDescription(parsing: echo.answer.serialized())
        #expect(answer == echo.answer)
        #expect(answer.isICELite)
        #expect((answer.bundleGroup ?? []) == echo.negotiated.bundle)
        let accepted = answer.media.filter { $0.port != 0 }
        #expect(accepted.compactMap(\.mid) == echo.negotiated.media.map(\.mid))
        for (section, negotiated) in zip(accepted, echo.negotiated.media) {
            #expect(section.kind == negotiated.kind)
            #expect(section.direction == negotiated.direction)
            #expect(section.attributes.setup == .passive)
            #expect(section.attributes.iceUsernameFragment == Server.options.iceUsernameFragment)
            #expect(section.attributes.fingerprints == [Server.fingerprint])
            #expect(section.extensionMaps.map(\.id) == negotiated.headerExtensions.map(\.id))
            #expect(section.extensionMaps.map(\.uri) == negotiated.headerExtensions.map(\.uri))
            let primary = section.rtpMaps.filter { !$0.isEncoding("rtx") }
            #expect(primary.map(\.payloadType) == negotiated.codecs.map(\.payloadType))
            #expect(primary.map(\.encodingName) == negotiated.codecs.map(\.name))
            for codec in negotiated.codecs {
                #expect(section.formatParameters(payloadType: codec.payloadType)?.parameters == codec.parameters)
                #expect(section.rtcpFeedback(payloadType: codec.payloadType) == codec.rtcpFeedback)
            }
            var rtx: [UInt8: UInt8] = [:]
            for map in section.rtpMaps where map.isEncoding("rtx") {
                let apt = try #require(section.formatParameters(payloadType: map.payloadType)?.value(for: "apt"))
                rtx[map.payloadType] = UInt8(apt)
            }
            #expect(rtx == negotiated.rtxPayloadTypes)
        }
        let offered = try SessionDescription(parsing: offerText)
        #expect(answer.media.count == offered.media.count)
    }

    /// Video offering only VP9 and AV1 is rejected with port 0 and left out of BUNDLE; audio stays.
    @Test func noCommonVideoCodec() throws {
        let echo = try Self.answer(Offers.noCommonVideoCodec)
        let answerLines = lines(echo.answer.serialized())
        #expect(answerLines.contains("a=group:BUNDLE 0"))
        #expect(answerLines.contains("m=audio 40000 UDP/TLS/RTP/SAVPF 111"))
        #expect(answerLines.contains("m=video 0 UDP/TLS/RTP/SAVPF 98"))
        let video = echo.answer.media[1]
        #expect(video.attributes == [.mid("1")])
        #expect(video.connection == Connection(addressType: "IP4", address: "0.0.0.0"))
        #expect(echo.negotiated.media.map(\.mid) == ["0"])
        #expect(echo.negotiated.media[0].codecs.map(\.payloadType) == [111])
    }

    /// Without BUNDLE only the first section gets the one transport; no group is invented, and
    /// ICE and DTLS attributes come from the session level.
    @Test func offerWithoutBundle() throws {
        let echo = try Self.answer(Offers.withoutBundle)
        #expect(echo.answer.bundleGroup == nil)
        #expect(echo.negotiated.bundle.isEmpty)
        #expect(echo.answer.media.map(\.port) == [40000, 0])
        #expect(echo.answer.media[0].candidates.count == 1)
        #expect(echo.answer.media[1].attributes == [.mid("video")])
        #expect(echo.negotiated.media.map(\.mid) == ["audio"])
        #expect(echo.negotiated.remoteICEUsernameFragment == "Sess")
        #expect(echo.negotiated.remoteICEPassword == "sessionpasswordsession12")
        #expect(echo.negotiated.remoteFingerprints.count == 1)
        #expect(lines(echo.answer.serialized()).filter { $0.hasPrefix("a=group") }.isEmpty)
    }

    /// Directions mirror the offer: recvonly → sendonly, sendonly → recvonly; extmap directions too.
    @Test func directionsAreMirrored() throws {
        let echo = try Self.answer(Offers.recvonly)
        #expect(echo.answer.media.map(\.direction) == [.sendonly, .sendonly, .recvonly])
        #expect(echo.negotiated.media.map(\.direction) == [.sendonly, .sendonly, .recvonly])
        #expect(echo.negotiated.bundle == ["a", "v", "s"])
        let answerLines = lines(echo.answer.serialized())
        #expect(answerLines.contains("a=extmap:4/sendonly urn:ietf:params:rtp-hdrext:sdes:mid"))
        #expect(answerLines.filter { $0 == "a=sendonly" }.count == 2)
        #expect(answerLines.filter { $0 == "a=recvonly" }.count == 1)
        // rtcp-rsize was not offered here, so it is not answered.
        #expect(!answerLines.contains("a=rtcp-rsize"))
        #expect(echo.negotiated.media(mid: "s")?.remoteSSRCs == [99])
        #expect(echo.negotiated.media(mid: "v")?.rtxPayloadTypes == [97: 96])
    }

    /// The direction table itself.
    @Test func reversedDirection() {
        #expect(MediaDirection.allCases.map(\.reversed) == [.sendrecv, .recvonly, .sendonly, .inactive])
    }

    /// Without a VP8, H.264 with packetization-mode=1 is preferred over mode 0 when 42e01f is absent.
    @Test func h264FallsBackToPacketizationModeOne() throws {
        let offer = crlf(
            """
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=group:BUNDLE 0
            m=video 9 UDP/TLS/RTP/SAVPF 104 102 103
            c=IN IP4 0.0.0.0
            a=ice-ufrag:Ab12
            a=ice-pwd:0123456789abcdefghijklmn
            a=fingerprint:sha-256 \(Offers.browserFingerprintHex)
            a=setup:actpass
            a=mid:0
            a=rtcp-fb:* nack
            a=rtcp-fb:* x-unknown
            a=rtpmap:104 H264/90000
            a=fmtp:104 packetization-mode=0;profile-level-id=42001f
            a=rtpmap:102 H264/90000
            a=fmtp:102 packetization-mode=1;profile-level-id=42001f
            a=rtpmap:103 rtx/90000
            a=fmtp:103 apt=102
            """)
        let echo = try Self.answer(offer)
        let video = try #require(echo.negotiated.media(mid: "0"))
        #expect(video.codecs.map(\.payloadType) == [102])
        #expect(video.codecs[0].rtxPayloadType == 103)
        // The wildcard nack is kept per payload type; the unknown feedback is dropped.
        #expect(video.codecs[0].rtcpFeedback == [RTCPFeedback(payloadType: 102, type: "nack")])
        #expect(echo.answer.media[0].formats == ["102", "103"])
    }

    /// An offer that wants to be the DTLS server cannot be answered by a passive server.
    @Test func passiveOfferIsRefused() throws {
        let offer = Offers.withoutBundle.replacingOccurrences(of: "a=setup:active", with: "a=setup:passive")
        #expect(throws: AnswerError.incompatibleSetup(.passive)) { try Self.answer(offer) }
    }

    /// Without a fingerprint the browser's certificate could not be checked.
    @Test func missingFingerprintIsRefused() throws {
        let offer = Offers.withoutBundle.replacingOccurrences(
            of: "a=fingerprint:sha-256 \(Offers.browserFingerprintHex)\r\n", with: "")
        #expect(throws: AnswerError.missingFingerprint(mid: "audio")) { try Self.answer(offer) }
    }

    /// Two sections with one mid would make bundled packets ambiguous.
    @Test func duplicateMidIsRefused() throws {
        let offer = Offers.withoutBundle.replacingOccurrences(of: "a=mid:video", with: "a=mid:audio")
        #expect(throws: AnswerError.duplicateMid("audio")) { try Self.answer(offer) }
    }

    /// A data-channel-only offer is answered with everything rejected, and no group.
    @Test func dataChannelOnlyOffer() throws {
        let offer = crlf(
            """
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            t=0 0
            a=group:BUNDLE 0
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            c=IN IP4 0.0.0.0
            a=mid:0
            a=sctp-port:5000
            """)
        let echo = try Self.answer(offer)
        #expect(
            lines(echo.answer.serialized()).suffix(3) == [
                "m=application 0 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:0",
            ])
        #expect(echo.answer.bundleGroup == nil)
        #expect(echo.negotiated.media.isEmpty)
    }

    /// The host candidate helper uses RFC 8445's recommended priority for host, component 1.
    @Test func hostCandidatePriority() {
        let candidate = Candidate.udpHost(address: "::1", port: 5, foundation: "2", localPreference: 10)
        #expect(candidate.priority == 126 << 24 | 10 << 8 | 255)
        #expect(candidate.attributeValue == "2 1 udp \(126 << 24 | 10 << 8 | 255) ::1 5 typ host")
        #expect(Connection(ipAddress: "::1").addressType == "IP6")
    }

    /// With server SSRCs given, each sending section announces them (msid, FID group, cname),
    /// and the negotiated session carries them; a section without RTX gets no RTX SSRC.
    @Test func outgoingStreamsAreAnnounced() throws {
        var options = Server.options
        options.outgoing = [
            "0": OutgoingStream(ssrc: 1111, rtxSSRC: 1112), "1": OutgoingStream(ssrc: 2222, rtxSSRC: 2223),
        ]
        let echo = try EchoAnswer(offer: try SessionDescription(parsing: Offers.chromium), options: options)
        let text = lines(echo.answer.serialized())
        let video = text.split(separator: "m=video").last.map(Array.init) ?? []
        let audio = Array(text.drop { !$0.hasPrefix("m=audio") }.prefix { !$0.hasPrefix("m=video") })
        #expect(audio.contains("a=msid:parley parley-0"))
        #expect(audio.contains("a=ssrc:1111 cname:parley"))
        #expect(audio.contains("a=ssrc:1111 msid:parley parley-0"))
        // Opus has no RTX in the offer: no repair stream is announced for audio.
        #expect(!audio.contains { $0.contains("1112") })
        #expect(video.contains("a=msid:parley parley-1"))
        #expect(video.contains("a=ssrc-group:FID 2222 2223"))
        #expect(video.contains("a=ssrc:2223 cname:parley"))
        #expect(echo.negotiated.media(mid: "0")?.outgoing == OutgoingStream(ssrc: 1111))
        #expect(echo.negotiated.media(mid: "1")?.outgoing == OutgoingStream(ssrc: 2222, rtxSSRC: 2223))
    }
}
