import Foundation
import SDP
import Testing

/// Every field of a Chromium offer, parsed to concrete values.
@Suite struct ParsingTests {
    let offer: SessionDescription

    init() throws { offer = try SessionDescription(parsing: Offers.chromium) }

    /// v, o, s, t and the session attributes.
    @Test func sessionLevel() {
        #expect(
            offer.origin
                == Origin(
                    username: "-", sessionID: 4_215_775_240_449_105_457, sessionVersion: 2, networkType: "IN",
                    addressType: "IP4", address: "127.0.0.1"))
        #expect(offer.sessionName == "-")
        #expect(offer.timing == Timing(start: 0, stop: 0))
        #expect(offer.connection == nil)
        #expect(offer.bandwidths.isEmpty)
        #expect(offer.otherLines.isEmpty)
        #expect(
            offer.attributes == [
                .group(semantics: "BUNDLE", mids: ["0", "1", "2"]),
                .extmapAllowMixed,
                .msidSemantic(semantics: "WMS", identifiers: ["7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11"]),
            ])
        #expect(offer.bundleGroup == ["0", "1", "2"])
        #expect(!offer.isICELite)
        #expect(offer.media.map(\.kind) == [.audio, .video, .application])
        #expect(offer.media.map(\.mid) == ["0", "1", "2"])
    }

    /// The audio m= line, transport attributes, codecs and SSRCs.
    @Test func audioSection() throws {
        let audio = try #require(offer.media(mid: "0"))
        #expect(audio.port == 54321)
        #expect(audio.portCount == nil)
        #expect(audio.transportProtocol == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats == ["111", "63", "9", "0", "8", "13", "110", "126"])
        #expect(audio.payloadTypes == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.connection == Connection(networkType: "IN", addressType: "IP4", address: "203.0.113.7"))
        #expect(audio.attributes.iceUsernameFragment == "Xk7q")
        #expect(audio.attributes.icePassword == "p8Zr2mYc9WbKx4NdQa1TfLhE")
        #expect(audio.attributes.iceOptions == ["trickle"])
        let fingerprint = try #require(audio.attributes.fingerprints.first)
        #expect(fingerprint.hashFunction == "sha-256")
        #expect(fingerprint.bytes.count == 32)
        #expect(Array(fingerprint.bytes.prefix(4)) == [0x6B, 0x8B, 0x5D, 0xEA])
        #expect(fingerprint.bytes.last == 0xBC)
        #expect(fingerprint.hexText == Offers.browserFingerprintHex)
        #expect(audio.attributes.setup == .actpass)
        #expect(audio.direction == .sendrecv)
        #expect(audio.attributes.contains(.rtcpMux))
        #expect(audio.attributes.contains(.rtcpReducedSize))
        #expect(
            audio.msid
                == MediaStreamID(
                    streamID: "7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11", trackID: "3c1a9d2e-8b7f-4e6a-b5c4-2d1e0f9a8b7c"))
        #expect(
            audio.rtpMaps == [
                RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2),
                RTPMap(payloadType: 63, encodingName: "red", clockRate: 48000, channels: 2),
                RTPMap(payloadType: 9, encodingName: "G722", clockRate: 8000),
                RTPMap(payloadType: 0, encodingName: "PCMU", clockRate: 8000),
                RTPMap(payloadType: 8, encodingName: "PCMA", clockRate: 8000),
                RTPMap(payloadType: 13, encodingName: "CN", clockRate: 8000),
                RTPMap(payloadType: 110, encodingName: "telephone-event", clockRate: 48000),
                RTPMap(payloadType: 126, encodingName: "telephone-event", clockRate: 8000),
            ])
        #expect(audio.formatParameters(payloadType: 111)?.parameters == "minptime=10;useinbandfec=1")
        #expect(audio.formatParameters(payloadType: 111)?.value(for: "useinbandfec") == "1")
        #expect(audio.formatParameters(payloadType: 111)?.value(for: "MINPTIME") == "10")
        #expect(audio.formatParameters(payloadType: 63)?.parameters == "111/111")
        #expect(audio.formatParameters(payloadType: 0) == nil)
        #expect(audio.rtcpFeedback(payloadType: 111) == [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        #expect(
            audio.extensionMaps == [
                ExtensionMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
                ExtensionMap(id: 2, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
                ExtensionMap(id: 3, uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
                ExtensionMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid"),
            ])
        #expect(audio.ssrcs == [3_735_928_559])
        #expect(
            audio.ssrcAttributes == [
                SSRCAttribute(ssrc: 3_735_928_559, attribute: "cname", value: "Yq3nW8kLz0pRt5Vb"),
                SSRCAttribute(
                    ssrc: 3_735_928_559, attribute: "msid",
                    value: "7f0c6c4e-4d3b-4a56-9a8e-5d2f1b1c0a11 3c1a9d2e-8b7f-4e6a-b5c4-2d1e0f9a8b7c"),
            ])
    }

    /// Host, server-reflexive and TCP candidates, with their optional fields.
    @Test func candidates() throws {
        let candidates = try #require(offer.media(mid: "0")).candidates
        #expect(candidates.count == 3)
        #expect(
            candidates[0]
                == Candidate(
                    foundation: "1467250027", component: 1, transport: "udp", priority: 2_122_260_223,
                    address: "192.168.1.20", port: 54321, type: .host,
                    extensions: [
                        .init(name: "generation", value: "0"), .init(name: "network-id", value: "1"),
                        .init(name: "network-cost", value: "10"),
                    ]))
        #expect(candidates[1].type == .serverReflexive)
        #expect(candidates[1].address == "203.0.113.7")
        #expect(candidates[1].priority == 1_686_052_607)
        #expect(candidates[1].relatedAddress == "192.168.1.20")
        #expect(candidates[1].relatedPort == 54321)
        #expect(candidates[1].extensions.map(\.name) == ["generation", "network-id", "network-cost"])
        #expect(candidates[2].transport == "tcp")
        #expect(candidates[2].port == 9)
        #expect(candidates[2].relatedAddress == nil)
        #expect(candidates[2].extensions.first == .init(name: "tcptype", value: "active"))
        #expect(try #require(offer.media(mid: "1")).candidates.isEmpty)
    }

    /// A trickled candidate string (RTCIceCandidate.candidate) parses with its prefix, and
    /// writes back as it was.
    @Test func trickledCandidate() throws {
        let text =
            "candidate:3 1 UDP 1686052863 198.51.100.3 61000 typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag Xk7q"
        let candidate = try Candidate(parsing: text)
        #expect(candidate.foundation == "3")
        #expect(candidate.transport == "UDP")
        #expect(candidate.type == .relay)
        #expect(candidate.relatedAddress == "0.0.0.0")
        #expect(candidate.relatedPort == 0)
        #expect(candidate.extensions == [.init(name: "generation", value: "0"), .init(name: "ufrag", value: "Xk7q")])
        #expect("candidate:" + candidate.attributeValue == text)
        #expect(throws: SDPError.Reason.badAttribute(name: "candidate")) {
            try Candidate(parsing: "candidate:3 1 udp 1 198.51.100.3 61000 type host")
        }
    }

    /// The video section's codecs, feedback, RTX mapping, extensions and SSRC group.
    @Test func videoSection() throws {
        let video = try #require(offer.media(mid: "1"))
        #expect(video.payloadTypes == [96, 97, 98, 99, 35, 36, 102, 103, 104, 105, 106, 107, 127, 125, 114, 115, 116])
        #expect(video.rtpMap(payloadType: 96) == RTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        #expect(video.rtpMap(payloadType: 35)?.encodingName == "AV1")
        #expect(video.rtpMap(payloadType: 116)?.encodingName == "ulpfec")
        #expect(video.rtpMaps.filter { $0.isEncoding("h264") }.map(\.payloadType) == [102, 104, 106, 127])
        #expect(
            video.rtpMaps.filter { $0.isEncoding("rtx") }.map(\.payloadType) == [97, 99, 36, 103, 105, 107, 125, 115])
        #expect(video.formatParameters(payloadType: 97)?.value(for: "apt") == "96")
        #expect(
            video.formatParameters(payloadType: 106)?.parameters
                == "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
        #expect(video.formatParameters(payloadType: 106)?.value(for: "profile-level-id") == "42e01f")
        #expect(
            video.rtcpFeedback(payloadType: 96) == [
                RTCPFeedback(payloadType: 96, type: "goog-remb"),
                RTCPFeedback(payloadType: 96, type: "transport-cc"),
                RTCPFeedback(payloadType: 96, type: "ccm", parameter: "fir"),
                RTCPFeedback(payloadType: 96, type: "nack"),
                RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli"),
            ])
        #expect(video.extensionMaps.map(\.id) == [14, 2, 13, 3, 5, 6, 7, 8, 4, 10, 11])
        #expect(video.extensionMaps[2] == ExtensionMap(id: 13, uri: "urn:3gpp:video-orientation"))
        #expect(video.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [1_122_334_455, 2_233_445_566])])
        #expect(video.ssrcs == [1_122_334_455, 2_233_445_566])
        #expect(video.msid?.trackID == "9e8d7c6b-5a49-4837-a261-50f4e3d2c1b0")
    }

    /// The data channel section: SCTP port and message size, and no RTP payload types.
    @Test func applicationSection() throws {
        let data = try #require(offer.media(mid: "2"))
        #expect(data.kind == .application)
        #expect(data.transportProtocol == "UDP/DTLS/SCTP")
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.payloadTypes.isEmpty)
        #expect(!data.isRTP)
        #expect(data.sctpPort == 5000)
        #expect(data.maxMessageSize == 262_144)
        #expect(data.attributes.setup == .actpass)
    }

    /// Attributes without a case are kept with their name and value, in place.
    @Test func unknownAttributesAreKept() throws {
        let audio = try #require(offer.media(mid: "0"))
        #expect(audio.attributes[0] == .other(name: "rtcp", value: "9 IN IP4 0.0.0.0"))
        let text = crlf(
            """
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=-
            i=a session
            t=0 0
            a=x-google-flag:conference
            a=bundle-only
            a=empty:
            m=video 9 UDP/TLS/RTP/SAVPF 96
            b=AS:2000
            a=mid:0
            a=simulcast:send f;h
            a=rid:f send
            """)
        let parsed = try SessionDescription(parsing: text)
        #expect(
            parsed.attributes == [
                .other(name: "x-google-flag", value: "conference"), .other(name: "bundle-only", value: nil),
                .other(name: "empty", value: ""),
            ])
        #expect(parsed.otherLines == [SDPLine(type: "i", value: "a session")])
        #expect(parsed.media[0].bandwidths == [Bandwidth(type: "AS", value: 2000)])
        #expect(parsed.media[0].otherAttributes.map(\.name) == ["simulcast", "rid"])
        #expect(parsed.media[0].otherAttributes.map(\.value) == ["send f;h", "f send"])
        #expect(parsed.serialized() == text)
    }

    /// Serialising a parsed offer gives text that parses to the same value, and the offer's
    /// lines are written back byte for byte except msid-semantic's legacy space.
    @Test func serialisationRoundTrips() throws {
        let text = offer.serialized()
        #expect(try SessionDescription(parsing: text) == offer)
        #expect(text == Offers.chromium.replacingOccurrences(of: "msid-semantic: WMS", with: "msid-semantic:WMS"))
    }

    /// Bare LF line ends are accepted as well as CRLF.
    @Test func acceptsBareLineFeeds() throws {
        let parsed = try SessionDescription(parsing: Offers.chromium.replacingOccurrences(of: "\r\n", with: "\n"))
        #expect(parsed == offer)
    }

    /// The bytes entry point parses the same, and refuses bytes that are not UTF-8.
    @Test func bytesEntryPoint() throws {
        #expect(try SessionDescription(parsing: Array(Offers.chromium.utf8)) == offer)
        #expect(throws: SDPError.notUTF8) {
            try SessionDescription(parsing: Array("v=0\r\ns=\u{00e9}\r\n".utf8).map { $0 == 0xC3 ? 0xFF : $0 })
        }
    }

    /// ICE-lite, ICE credentials, fingerprint and setup at session level, a port count, an IPv6
    /// connection and an mDNS candidate, as other endpoints (a Parley answer, Firefox) write them.
    @Test func sessionLevelTransportAttributes() throws {
        let text = crlf(
            """
            v=0
            o=mozilla...THIS_IS_SDPARTA-120.0 6372917347458223305 0 IN IP6 ::1
            s=-
            t=0 0
            a=ice-lite
            a=ice-ufrag:0a1b2c3d
            a=ice-pwd:00112233445566778899aabbccddeeff
            a=fingerprint:sha-1 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67
            a=setup:active
            a=ice-options:trickle renomination
            m=audio 9/2 UDP/TLS/RTP/SAVP 109
            c=IN IP6 2001:db8::1
            a=candidate:0 1 UDP 2122187007 5e3b9f4a-0d7c-4e1b-9a2f-6c8d7e5f4a3b.local 50212 typ host
            a=end-of-candidates
            a=inactive
            a=rtpmap:109 opus/48000/2
            """)
        let parsed = try SessionDescription(parsing: text)
        #expect(parsed.origin.username == "mozilla...THIS_IS_SDPARTA-120.0")
        #expect(parsed.origin.sessionID == 6_372_917_347_458_223_305)
        #expect(parsed.origin.sessionVersion == 0)
        #expect(parsed.origin.addressType == "IP6")
        #expect(parsed.origin.address == "::1")
        #expect(parsed.isICELite)
        #expect(parsed.attributes.iceUsernameFragment == "0a1b2c3d")
        #expect(parsed.attributes.icePassword == "00112233445566778899aabbccddeeff")
        #expect(parsed.attributes.fingerprints.map(\.hashFunction) == ["sha-1"])
        #expect(parsed.attributes.fingerprints.first?.bytes.count == 20)
        #expect(parsed.attributes.setup == .active)
        #expect(parsed.attributes.iceOptions == ["trickle", "renomination"])
        let audio = try #require(parsed.media.first)
        #expect(audio.port == 9)
        #expect(audio.portCount == 2)
        #expect(audio.transportProtocol == "UDP/TLS/RTP/SAVP")
        #expect(audio.connection == Connection(addressType: "IP6", address: "2001:db8::1"))
        #expect(audio.direction == .inactive)
        #expect(audio.mid == nil)
        #expect(audio.attributes.iceUsernameFragment == nil)
        #expect(audio.candidates.first?.address == "5e3b9f4a-0d7c-4e1b-9a2f-6c8d7e5f4a3b.local")
        #expect(audio.candidates.first?.transport == "UDP")
        #expect(audio.attributes.contains(.endOfCandidates))
        #expect(try SessionDescription(parsing: parsed.serialized()) == parsed)
    }

    /// A section without a direction attribute is sendrecv (RFC 8866 section 6.7).
    @Test func directionDefaultsToSendrecv() throws {
        let parsed = try SessionDescription(
            parsing: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVP 96\r\n")
        #expect(parsed.media.first?.direction == .sendrecv)
        #expect(parsed.media.first?.attributes == [])
    }
}
