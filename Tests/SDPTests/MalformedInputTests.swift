import SDP
import Testing

/// Each malformed input is refused with the error that names its line and reason.
@Suite struct MalformedInputTests {
    static let header = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var error: SDPError
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "missing v=", text: "o=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
            error: .badLine(number: 1, text: "o=- 1 1 IN IP4 127.0.0.1", reason: .versionNotFirst)),
        Case(name: "empty input", text: "", error: .missingLine(type: "v")),
        Case(
            name: "version 1", text: "v=1\r\n",
            error: .badLine(number: 1, text: "v=1", reason: .unsupportedVersion)),
        Case(name: "no o=", text: "v=0\r\ns=-\r\nt=0 0\r\n", error: .missingLine(type: "o")),
        Case(name: "no t=", text: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n", error: .missingLine(type: "t")),
        Case(
            name: "o= with a non-numeric session id", text: "v=0\r\no=- abc 1 IN IP4 127.0.0.1\r\n",
            error: .badLine(number: 2, text: "o=- abc 1 IN IP4 127.0.0.1", reason: .badOrigin)),
        Case(
            name: "line without =", text: header + "garbage\r\n",
            error: .badLine(number: 5, text: "garbage", reason: .notTypeValue)),
        Case(
            name: "unknown line type", text: header + "x=1\r\n",
            error: .badLine(number: 5, text: "x=1", reason: .unknownType("x"))),
        Case(
            name: "second o=", text: header + "o=- 1 1 IN IP4 127.0.0.1\r\n",
            error: .badLine(number: 5, text: "o=- 1 1 IN IP4 127.0.0.1", reason: .misplaced)),
        Case(
            name: "m= line with too few fields", text: header + "m=audio 9 UDP/TLS/RTP/SAVPF\r\n",
            error: .badLine(number: 5, text: "m=audio 9 UDP/TLS/RTP/SAVPF", reason: .badMediaLine)),
        Case(
            name: "m= line with a port over 65535", text: header + "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n",
            error: .badLine(number: 5, text: "m=audio 70000 UDP/TLS/RTP/SAVPF 111", reason: .badMediaLine)),
        Case(
            name: "m= line with payload type 128", text: header + "m=audio 9 UDP/TLS/RTP/SAVPF 111 128\r\n",
            error: .badLine(number: 5, text: "m=audio 9 UDP/TLS/RTP/SAVPF 111 128", reason: .badPayloadType("128"))),
        Case(
            name: "rtpmap with a non-number payload type",
            text: header + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:opus opus/48000/2\r\n",
            error: .badLine(number: 6, text: "a=rtpmap:opus opus/48000/2", reason: .badPayloadType("opus"))),
        Case(
            name: "rtpmap without a clock rate",
            text: header + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus\r\n",
            error: .badLine(number: 6, text: "a=rtpmap:111 opus", reason: .badAttribute(name: "rtpmap"))),
        Case(
            name: "fingerprint with bad hex", text: header + "a=fingerprint:sha-256 AB:CD:XY\r\n",
            error: .badLine(number: 5, text: "a=fingerprint:sha-256 AB:CD:XY", reason: .badFingerprint)),
        Case(
            name: "fingerprint with a three-digit group", text: header + "a=fingerprint:sha-256 ABC:DE\r\n",
            error: .badLine(number: 5, text: "a=fingerprint:sha-256 ABC:DE", reason: .badFingerprint)),
        Case(
            name: "setup with an unknown role", text: header + "a=setup:server\r\n",
            error: .badLine(number: 5, text: "a=setup:server", reason: .badAttribute(name: "setup"))),
        Case(
            name: "ice-ufrag too short", text: header + "a=ice-ufrag:ab\r\n",
            error: .badLine(number: 5, text: "a=ice-ufrag:ab", reason: .badAttribute(name: "ice-ufrag"))),
        Case(
            name: "extmap id 0", text: header + "a=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
            error: .badLine(
                number: 5, text: "a=extmap:0 urn:ietf:params:rtp-hdrext:sdes:mid", reason: .badAttribute(name: "extmap")
            )
        ),
        Case(
            name: "ssrc over 32 bits", text: header + "a=ssrc:4294967296 cname:x\r\n",
            error: .badLine(number: 5, text: "a=ssrc:4294967296 cname:x", reason: .badAttribute(name: "ssrc"))),
        Case(
            name: "flag attribute with a value", text: header + "a=rtcp-mux:yes\r\n",
            error: .badLine(number: 5, text: "a=rtcp-mux:yes", reason: .badAttribute(name: "rtcp-mux"))),
        Case(
            name: "candidate without typ", text: header + "a=candidate:1 1 udp 100 10.0.0.1 9 host\r\n",
            error: .badLine(
                number: 5, text: "a=candidate:1 1 udp 100 10.0.0.1 9 host", reason: .badAttribute(name: "candidate"))),
        Case(
            name: "a CR inside a line", text: header + "a=mid:0\rx\r\n",
            error: .badLine(number: 5, text: "a=mid:0\rx", reason: .notTypeValue)),
    ]

    @Test(arguments: cases)
    func isRefused(_ testCase: Case) {
        #expect(throws: testCase.error) { try SessionDescription(parsing: testCase.text) }
    }

    /// The byte limit is checked first, and the error carries the size and the limit.
    @Test func overTheByteLimit() {
        let padding = String(repeating: "a=x-padding:0123456789\r\n", count: 3000)
        let text = Self.header + padding
        #expect(text.utf8.count > 64 * 1024)
        #expect(throws: SDPError.tooLarge(byteCount: text.utf8.count, limit: 65536)) {
            try SessionDescription(parsing: text)
        }
        #expect(throws: SDPError.tooLarge(byteCount: Offers.chromium.utf8.count, limit: 1000)) {
            try SessionDescription(parsing: Offers.chromium, limits: SDPLimits(maximumBytes: 1000))
        }
    }

    /// 33 m= sections are one more than the default limit of 32; 32 are fine.
    @Test func tooManyMediaSections() throws {
        let section = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        #expect(throws: SDPError.tooManyMediaSections(limit: 32)) {
            try SessionDescription(parsing: Self.header + String(repeating: section, count: 33))
        }
        let thirtyTwo = try SessionDescription(parsing: Self.header + String(repeating: section, count: 32))
        #expect(thirtyTwo.media.count == 32)
        #expect(throws: SDPError.tooManyMediaSections(limit: 2)) {
            try SessionDescription(parsing: Offers.chromium, limits: SDPLimits(maximumMediaSections: 2))
        }
    }

    /// More lines than the limit are refused before any is parsed.
    @Test func tooManyLines() {
        #expect(throws: SDPError.tooManyLines(limit: 100)) {
            try SessionDescription(parsing: Offers.chromium, limits: SDPLimits(maximumLines: 100))
        }
    }

    /// An error quotes at most 200 bytes of a very long line.
    @Test func longLinesAreQuotedShort() throws {
        let long = "a=setup:" + String(repeating: "x", count: 1000)
        let error = try #require(throws: SDPError.self) { try SessionDescription(parsing: Self.header + long) }
        guard case .badLine(5, let text, .badAttribute("setup")) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(text == String(long.prefix(200)))
        #expect(error.description.hasPrefix("line 5 \"a=setup:xxx"))
    }
}
