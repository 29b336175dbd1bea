import Foundation
import ParleyServer
import Testing

/// `/echo` on the real application: the WHIP-style exchange, and every way an offer is refused.
@Suite struct EchoEndpointTests {
    /// A browser-like offer: Opus and VP8, BUNDLE, DTLS fingerprint, ICE credentials.
    static let offer =
        [
            "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=ice-ufrag:brws",
            "a=ice-pwd:browserpassword24charsxx",
            "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CD:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:A6:BC",
            "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2",
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sendrecv", "a=rtcp-mux",
            "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
        ].joined(separator: "\r\n") + "\r\n"
    static let sdp = ["Content-Type": "application/sdp"]

    /// An offer gets a 201 with an ICE-lite answer carrying the server's candidates, fingerprint
    /// and SSRCs, and a Location that DELETE ends (once).
    @Test func offerIsAnsweredAndTheSessionCanBeEnded() async throws {
        try await withParley { server in
            let created = try await server.request("POST", "/echo", body: Self.offer, headers: Self.sdp)
            #expect(created.status == 201)
            #expect(created.headers["content-type"] == "application/sdp")
            let location = try #require(created.headers["location"])
            #expect(location.wholeMatch(of: /\/echo\/[0-9a-f]{32}/) != nil)
            let answer = created.body
            #expect(answer.contains("a=ice-lite\r\n"))
            #expect(answer.contains("a=setup:passive\r\n"))
            #expect(answer.contains("a=fingerprint:sha-256 "))
            #expect(answer.contains(" typ host"))
            #expect(answer.contains("a=ssrc-group:FID "))
            #expect(answer.contains("a=group:BUNDLE 0 1\r\n"))
            #expect(try await server.request("DELETE", location).status == 204)
            #expect(try await server.request("DELETE", location).status == 404)
        }
    }

    /// Each refusal has its status and says why: wrong type, not SDP, nothing to echo, too big.
    @Test func badOffersAreRefusedWithTheReason() async throws {
        try await withParley { server in
            let plain = try await server.request(
                "POST", "/echo", body: Self.offer, headers: ["Content-Type": "text/plain"])
            #expect(plain.status == 415)
            #expect(plain.body.contains("application/sdp"))

            let garbage = try await server.request("POST", "/echo", body: "v=0\r\nnonsense\r\n", headers: Self.sdp)
            #expect(garbage.status == 400)
            #expect(garbage.body.contains("line 2"))

            let noMedia = Self.offer.replacingOccurrences(of: "opus/48000/2", with: "PCMU/8000")
                .replacingOccurrences(of: "VP8/90000", with: "AV1/90000")
            let unanswerable = try await server.request("POST", "/echo", body: noMedia, headers: Self.sdp)
            #expect(unanswerable.status == 400)
            #expect(unanswerable.body.contains("Opus, VP8 or H.264"))

            let huge = Self.offer + String(repeating: "a=x-padding:0123456789abcdef\r\n", count: 3000)
            let tooBig = try await server.request("POST", "/echo", body: huge, headers: Self.sdp)
            #expect(tooBig.status == 413)
            #expect(tooBig.body.contains("64 KiB"))

            #expect(try await server.request("DELETE", "/echo/0123").status == 404)
        }
    }

    /// Beyond `echo-sessions`, offers get a 503 naming the limit; ending one frees its slot.
    @Test func sessionLimitIsEnforced() async throws {
        var configuration = ParleyConfiguration()
        configuration.media.maximumEchoSessions = 1
        try await withParley(configuration) { server in
            let first = try await server.request("POST", "/echo", body: Self.offer, headers: Self.sdp)
            #expect(first.status == 201)
            let second = try await server.request("POST", "/echo", body: Self.offer, headers: Self.sdp)
            #expect(second.status == 503)
            #expect(second.body.contains("limit of 1 echo session"))
            #expect(try await server.request("DELETE", try #require(first.headers["location"])).status == 204)
            #expect(try await server.request("POST", "/echo", body: Self.offer, headers: Self.sdp).status == 201)
        }
    }

    /// With the media engine off, there is no /echo.
    @Test func mediaOffMeansNoEcho() async throws {
        var configuration = ParleyConfiguration()
        configuration.media.enabled = false
        try await withParley(configuration) { server in
            let refused = try await server.request("POST", "/echo", body: Self.offer, headers: Self.sdp)
            #expect(refused.status != 201)
        }
    }
}
