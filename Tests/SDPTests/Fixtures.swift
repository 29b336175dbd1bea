import Foundation
import SDP
import Testing

/// SDP text with CRLF line ends, as browsers write it, from a Swift multi-line literal.
func crlf(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n") + "\r\n"
}

/// The lines of SDP text, without their CRLF.
func lines(_ text: String) -> [String] {
    text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
}

/// Offers in the form Chromium 120+ writes them for unified plan: one audio, one video and one
/// data channel transceiver, BUNDLEd, with the candidates gathered before the offer was sent.
enum Offers {
    static let browserFingerprintHex =
        "6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CD:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:A6:BC"

    static let chromium = crlf(
        """
        v=0
        o=- 4215775240449105457 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1 2
        a=extmap-allow-mixed
        a=msid-semantic: WMS 7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11
        m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 203.0.113.7
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0 network-id 1 network-cost 10
        a=candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0 network-id 1 network-cost 10
        a=candidate:1853887674 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0 network-id 1 network-cost 10
        a=ice-ufrag:Xk7q
        a=ice-pwd:p8Zr2mYc9WbKx4NdQa1TfLhE
        a=ice-options:trickle
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 3c1a9d2e-8b7f-4e6a-b5c4-2d1e0f9a8b7c
        a=rtcp-mux
        a=rtcp-rsize
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
        a=ssrc:3735928559 cname:Yq3nW8kLz0pRt5Vb
        a=ssrc:3735928559 msid:7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 3c1a9d2e-8b7f-4e6a-b5c4-2d1e0f9a8b7c
        m=video 54321 UDP/TLS/RTP/SAVPF 96 97 98 99 35 36 102 103 104 105 106 107 127 125 114 115 116
        c=IN IP4 203.0.113.7
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:Xk7q
        a=ice-pwd:p8Zr2mYc9WbKx4NdQa1TfLhE
        a=ice-options:trickle
        a=fingerprint:sha-256 \(browserFingerprintHex)
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
        a=msid:7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 9e8d7c6b-5a49-4837-a261-50f4e3d2c1b0
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
        a=rtpmap:98 VP9/90000
        a=rtcp-fb:98 goog-remb
        a=rtcp-fb:98 transport-cc
        a=rtcp-fb:98 ccm fir
        a=rtcp-fb:98 nack
        a=rtcp-fb:98 nack pli
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:35 AV1/90000
        a=rtcp-fb:35 goog-remb
        a=rtcp-fb:35 transport-cc
        a=rtcp-fb:35 ccm fir
        a=rtcp-fb:35 nack
        a=rtcp-fb:35 nack pli
        a=fmtp:35 level-idx=5;profile=0;tier=0
        a=rtpmap:36 rtx/90000
        a=fmtp:36 apt=35
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
        a=rtpmap:105 rtx/90000
        a=fmtp:105 apt=104
        a=rtpmap:106 H264/90000
        a=rtcp-fb:106 goog-remb
        a=rtcp-fb:106 transport-cc
        a=rtcp-fb:106 ccm fir
        a=rtcp-fb:106 nack
        a=rtcp-fb:106 nack pli
        a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
        a=rtpmap:107 rtx/90000
        a=fmtp:107 apt=106
        a=rtpmap:127 H264/90000
        a=rtcp-fb:127 goog-remb
        a=rtcp-fb:127 transport-cc
        a=rtcp-fb:127 ccm fir
        a=rtcp-fb:127 nack
        a=rtcp-fb:127 nack pli
        a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
        a=rtpmap:125 rtx/90000
        a=fmtp:125 apt=127
        a=rtpmap:114 red/90000
        a=rtpmap:115 rtx/90000
        a=fmtp:115 apt=114
        a=rtpmap:116 ulpfec/90000
        a=ssrc-group:FID 1122334455 2233445566
        a=ssrc:1122334455 cname:Yq3nW8kLz0pRt5Vb
        a=ssrc:1122334455 msid:7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 9e8d7c6b-5a49-4837-a261-50f4e3d2c1b0
        a=ssrc:2233445566 cname:Yq3nW8kLz0pRt5Vb
        a=ssrc:2233445566 msid:7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 9e8d7c6b-5a49-4837-a261-50f4e3d2c1b0
        m=application 54321 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 203.0.113.7
        a=ice-ufrag:Xk7q
        a=ice-pwd:p8Zr2mYc9WbKx4NdQa1TfLhE
        a=ice-options:trickle
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:2
        a=sctp-port:5000
        a=max-message-size:262144
        """)

    /// A video-only offer with VP9 and AV1 but neither VP8 nor H.264 (a browser configured
    /// with setCodecPreferences), next to audio.
    static let noCommonVideoCodec = crlf(
        """
        v=0
        o=- 7000000000000000001 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=msid-semantic: WMS
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Ab12
        a=ice-pwd:0123456789abcdefghijklmn
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:0
        a=sendrecv
        a=rtcp-mux
        a=rtpmap:111 opus/48000/2
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:0 PCMU/8000
        m=video 9 UDP/TLS/RTP/SAVPF 98 99 35
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Ab12
        a=ice-pwd:0123456789abcdefghijklmn
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:1
        a=sendrecv
        a=rtcp-mux
        a=rtpmap:98 VP9/90000
        a=fmtp:98 profile-id=0
        a=rtpmap:99 rtx/90000
        a=fmtp:99 apt=98
        a=rtpmap:35 AV1/90000
        """)

    /// Two sections and no a=group:BUNDLE, as an endpoint with bundlePolicy "max-compat" and
    /// no BUNDLE support writes it; ICE and DTLS attributes at session level.
    static let withoutBundle = crlf(
        """
        v=0
        o=- 42 1 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=ice-ufrag:Sess
        a=ice-pwd:sessionpasswordsession12
        a=fingerprint:sha-256 \(browserFingerprintHex)
        m=audio 9 UDP/TLS/RTP/SAVPF 111
        c=IN IP4 0.0.0.0
        a=setup:active
        a=mid:audio
        a=sendrecv
        a=rtcp-mux
        a=rtpmap:111 opus/48000/2
        m=video 9 UDP/TLS/RTP/SAVPF 96
        c=IN IP4 0.0.0.0
        a=setup:active
        a=mid:video
        a=sendrecv
        a=rtcp-mux
        a=rtpmap:96 VP8/90000
        """)

    /// A receive-only offer (addTransceiver with direction "recvonly") for audio and video,
    /// and a send-only one for a second video; no SSRCs since nothing is sent on the first two.
    static let recvonly = crlf(
        """
        v=0
        o=- 5555 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE a v s
        m=audio 9 UDP/TLS/RTP/SAVPF 111
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Rcv1
        a=ice-pwd:recvonlyrecvonlyrecvonly
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:a
        a=recvonly
        a=rtcp-mux
        a=rtpmap:111 opus/48000/2
        m=video 9 UDP/TLS/RTP/SAVPF 96 97
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Rcv1
        a=ice-pwd:recvonlyrecvonlyrecvonly
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:v
        a=extmap:4/recvonly urn:ietf:params:rtp-hdrext:sdes:mid
        a=recvonly
        a=rtcp-mux
        a=rtpmap:96 VP8/90000
        a=rtpmap:97 rtx/90000
        a=fmtp:97 apt=96
        m=video 9 UDP/TLS/RTP/SAVPF 96
        c=IN IP4 0.0.0.0
        a=ice-ufrag:Rcv1
        a=ice-pwd:recvonlyrecvonlyrecvonly
        a=fingerprint:sha-256 \(browserFingerprintHex)
        a=setup:actpass
        a=mid:s
        a=sendonly
        a=rtcp-mux
        a=rtpmap:96 VP8/90000
        a=ssrc:99 cname:x
        """)
}

/// An offer with a short name, so parameterised tests list the name rather than the text.
struct NamedOffer: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var testDescription: String { name }
}

extension Offers {
    static let all = [
        NamedOffer(name: "chromium", text: chromium),
        NamedOffer(name: "no common video codec", text: noCommonVideoCodec),
        NamedOffer(name: "without BUNDLE", text: withoutBundle), NamedOffer(name: "recvonly", text: recvonly),
    ]
}

enum Server {
    static let fingerprint = Fingerprint(hashFunction: "sha-256", bytes: Array(0..<32))
    static let fingerprintHex =
        "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F"
    static let options = AnswerOptions(
        iceUsernameFragment: "srvU", icePassword: "serverpasswordserverpw",
        fingerprint: fingerprint,
        candidates: [Candidate.udpHost(address: "198.51.100.10", port: 40000, foundation: "1")],
        sessionID: 8_000_000_000_000_000_001, sessionVersion: 2)
}
