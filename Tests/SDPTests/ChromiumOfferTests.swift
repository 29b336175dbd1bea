import SDP
import Testing

/// The offer Chromium made for Parley's echo page (fake camera and microphone), as it was
/// POSTed: the parser and the answer must handle what a real browser writes.
enum ChromiumCapture {
    static let echoOffer = crlf(
        """
        v=0
        o=- 270515629362894200 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=extmap-allow-mixed
        a=msid-semantic: WMS 7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b
        m=audio 57589 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 192.0.2.2
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1809760157 1 udp 2122194687 192.0.2.2 57589 typ host generation 0 network-id 1
        a=candidate:1823265581 1 udp 2122265343 fd00::2 51914 typ host generation 0 network-id 2
        a=ice-ufrag:iOZy
        a=ice-pwd:MpvOZpPMdCG2ES5v+m32yma0
        a=ice-options:trickle
        a=fingerprint:sha-256 C2:13:17:D4:6B:8F:24:84:9E:2A:3E:5C:09:0D:D9:0F:2D:81:BC:43:B3:55:15:99:27:B2:E7:3A:68:CD:BE:E6
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b fb370465-838d-4aa7-87a7-6b784328b511
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:483886878 cname:L54Dwzy98W1iDmzH
        a=ssrc:483886878 msid:7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b fb370465-838d-4aa7-87a7-6b784328b511
        m=video 60067 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120
        c=IN IP4 192.0.2.2
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1809760157 1 udp 2122194687 192.0.2.2 60067 typ host generation 0 network-id 1
        a=candidate:1823265581 1 udp 2122265343 fd00::2 33592 typ host generation 0 network-id 2
        a=ice-ufrag:iOZy
        a=ice-pwd:MpvOZpPMdCG2ES5v+m32yma0
        a=ice-options:trickle
        a=fingerprint:sha-256 C2:13:17:D4:6B:8F:24:84:9E:2A:3E:5C:09:0D:D9:0F:2D:81:BC:43:B3:55:15:99:27:B2:E7:3A:68:CD:BE:E6
        a=setup:actpass
        a=mid:1
        a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:13 urn:3gpp:video-orientation
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
        a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
        a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
        a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
        a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
        a=sendrecv
        a=msid:7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b 69a65aad-7ffb-4b11-936d-72e3b1409f33
        a=rtcp-mux
        a=rtcp-rsize
        a=rtcp-xr:rcvr-rtt=all
        a=rtpmap:96 VP8/90000
        a=rtcp-fb:96 goog-remb
        a=rtcp-fb:96 transport-cc
        a=rtcp-fb:96 ccm fir
        a=rtcp-fb:96 nack
        a=rtcp-fb:96 nack pli
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        a=rtpmap:102 H264/90000
        a=rtcp-fb:102 goog-remb
        a=rtcp-fb:102 transport-cc
        a=rtcp-fb:102 ccm fir
        a=rtcp-fb:102 nack
        a=rtcp-fb:102 nack pli
        a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
        a=rtpmap:103 rtx/90000
        a=fmtp:103 apt=102
        a=rtpmap:104 H264/90000
        a=rtcp-fb:104 goog-remb
        a=rtcp-fb:104 transport-cc
        a=rtcp-fb:104 ccm fir
        a=rtcp-fb:104 nack
        a=rtcp-fb:104 nack pli
        a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=104
        a=rtpmap:108 H264/90000
        a=rtcp-fb:108 goog-remb
        a=rtcp-fb:108 transport-cc
        a=rtcp-fb:108 ccm fir
        a=rtcp-fb:108 nack
        a=rtcp-fb:108 nack pli
        a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:109 rtx/90000
        a=fmtp:109 apt=108
        a=rtpmap:114 H264/90000
        a=rtcp-fb:114 goog-remb
        a=rtcp-fb:114 transport-cc
        a=rtcp-fb:114 ccm fir
        a=rtcp-fb:114 nack
        a=rtcp-fb:114 nack pli
        a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
        a=rtpmap:115 rtx/90000
        a=fmtp:115 apt=114
        a=rtpmap:116 H264/90000
        a=rtcp-fb:116 goog-remb
        a=rtcp-fb:116 transport-cc
        a=rtcp-fb:116 ccm fir
        a=rtcp-fb:116 nack
        a=rtcp-fb:116 nack pli
        a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:117 rtx/90000
        a=fmtp:117 apt=116
        a=rtpmap:39 H264/90000
        a=rtcp-fb:39 goog-remb
        a=rtcp-fb:39 transport-cc
        a=rtcp-fb:39 ccm fir
        a=rtcp-fb:39 nack
        a=rtcp-fb:39 nack pli
        a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
        a=rtpmap:40 rtx/90000
        a=fmtp:40 apt=39
        a=rtpmap:45 AV1/90000
        a=rtcp-fb:45 goog-remb
        a=rtcp-fb:45 transport-cc
        a=rtcp-fb:45 ccm fir
        a=rtcp-fb:45 nack
        a=rtcp-fb:45 nack pli
        a=fmtp:45 level-idx=5;profile=0;tier=0
        a=rtpmap:46 rtx/90000
        a=fmtp:46 apt=45
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:100 VP9/90000
        a=rtcp-fb:100 goog-remb
        a=rtcp-fb:100 transport-cc
        a=rtcp-fb:100 ccm fir
        a=rtcp-fb:100 nack
        a=rtcp-fb:100 nack pli
        a=fmtp:100 profile-id=2
        a=rtpmap:101 rtx/90000
        a=fmtp:101 apt=100
        a=rtpmap:118 red/90000
        a=rtpmap:119 rtx/90000
        a=fmtp:119 apt=118
        a=rtpmap:120 ulpfec/90000
        a=ssrc-group:FID 3869787894 2062577157
        a=ssrc:3869787894 cname:L54Dwzy98W1iDmzH
        a=ssrc:3869787894 msid:7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b 69a65aad-7ffb-4b11-936d-72e3b1409f33
        a=ssrc:2062577157 cname:L54Dwzy98W1iDmzH
        a=ssrc:2062577157 msid:7ad5bb5e-5f25-42d4-9afb-46ca90d6c32b 69a65aad-7ffb-4b11-936d-72e3b1409f33
        """)
}

@Suite struct ChromiumOfferTests {
    /// Chromium's own offer parses, is answered with Opus and VP8 (with its RTX) on one BUNDLE
    /// transport, and the answer parses again.
    @Test func echoOfferIsAnswered() throws {
        let offer = try SessionDescription(parsing: ChromiumCapture.echoOffer)
        #expect(offer.media.count == 2)
        var options = Server.options
        options.outgoing = ["0": OutgoingStream(ssrc: 1), "1": OutgoingStream(ssrc: 2, rtxSSRC: 3)]
        let echo = try EchoAnswer(offer: offer, options: options)
        let audio = try #require(echo.negotiated.media(mid: "0"))
        let video = try #require(echo.negotiated.media(mid: "1"))
        #expect(audio.codecs.map(\.name) == ["opus"])
        #expect(video.codecs.first?.name == "VP8")
        #expect(video.codecs.first?.payloadType == 96)
        #expect(video.codecs.first?.rtxPayloadType == 97)
        #expect(video.outgoing == OutgoingStream(ssrc: 2, rtxSSRC: 3))
        #expect(audio.headerExtensionID(uri: "urn:ietf:params:rtp-hdrext:sdes:mid") == 4)
        // What the answer drops on purpose: simulcast stream ids and playout hints.
        #expect(video.headerExtensionID(uri: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") == nil)
        #expect(echo.negotiated.remoteFingerprints.count == 1)
        #expect(echo.answer.bundleGroup == ["0", "1"])
        let reparsed = try SessionDescription(parsing: echo.answer.serialized())
        #expect(reparsed.media.count == 2)
    }
}
