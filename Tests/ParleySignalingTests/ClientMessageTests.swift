import ParleySignaling
import Testing

@Suite struct ClientMessageDecodingTests {
    private func decode(_ text: String, maxBytes: Int = 65_536) -> Result<ClientMessage, SignalingError> {
        ClientMessage.decode(text, maxBytes: maxBytes)
    }

    /// Every message type of protocol v1 decodes to its case, with defaults filled in.
    @Test func decodesEveryType() throws {
        #expect(
            try decode(#"{"type":"join","room":"r1","name":" Ada "}"#).get()
                == .join(room: RoomName("r1")!, name: DisplayName("Ada")!, audio: true, video: true))
        #expect(
            try decode(#"{"type":"join","room":"r1","name":"Ada","audio":false,"video":true,"extra":1}"#).get()
                == .join(room: RoomName("r1")!, name: DisplayName("Ada")!, audio: false, video: true))
        // A signal's data is kept as the text it came in, spaces and member order included.
        let data = #"{ "candidate": {"sdpMLineIndex":0, "candidate":"x"} }"#
        guard case .signal(let to, let decoded) = try decode(#"{"type":"signal","to":"abc","data":\#(data)}"#).get()
        else {
            Issue.record("not a signal")
            return
        }
        #expect(to == PeerID("abc"))
        #expect(decoded.text == data)
        #expect(
            decoded.value == .object(["candidate": .object(["candidate": .string("x"), "sdpMLineIndex": .integer(0)])]))
        #expect(decoded.sdp == nil)
        // The one thing the server reads from data, the SDP, is found however its key is written.
        let escaped = #"{"type":"signal","to":"x","data":{"descr\u0069ption":{"type":"offer","sdp":"v=0"}}}"#
        guard case .signal(_, let offer) = try decode(escaped).get() else {
            Issue.record("not a signal")
            return
        }
        #expect(offer.sdp == "v=0")
        #expect(try decode(#"{"type":"media","audio":false,"video":true}"#).get() == .media(audio: false, video: true))
        #expect(try decode(#"{"type":"leave"}"#).get() == .leave)
    }

    /// Each kind of bad input maps to its own stable error code.
    @Test(arguments: [
        ("not json", SignalingError.Code.invalidJSON),
        ("[1,2]", .invalidJSON),
        ("\"join\"", .invalidJSON),
        ("{}", .invalidMessage),
        (#"{"type":7}"#, .invalidMessage),
        (#"{"type":"dance"}"#, .unknownType),
        (#"{"type":"join","room":"r"}"#, .invalidMessage),
        (#"{"type":"join","room":"r","name":5}"#, .invalidMessage),
        (#"{"type":"join","room":"r","name":"A","audio":"yes"}"#, .invalidMessage),
        (#"{"type":"join","room":"bad room","name":"A"}"#, .invalidRoom),
        (#"{"type":"join","room":"r","name":"   "}"#, .invalidName),
        (#"{"type":"signal","to":"x"}"#, .invalidMessage),
        (#"{"type":"signal","to":"x","data":"sdp"}"#, .invalidMessage),
        (#"{"type":"signal","data":{}}"#, .invalidMessage),
        (#"{"type":"media","audio":true}"#, .invalidMessage),
    ])
    func refusesBadInput(_ text: String, _ code: SignalingError.Code) {
        #expect(throws: SignalingError.self) { try decode(text).get() }
        if case .failure(let error) = decode(text) {
            #expect(error.code == code)
            #expect(!error.message.isEmpty)
        }
    }

    /// A message over the limit is refused before parsing, and the error names the limit.
    @Test func refusesOversizedMessageNamingTheLimit() {
        let text = #"{"type":"leave","pad":""# + String(repeating: "x", count: 200) + #""}"#
        guard case .failure(let error) = decode(text, maxBytes: 100) else {
            Issue.record("oversized message was accepted")
            return
        }
        #expect(error.code == .messageTooLarge)
        #expect(error.message.contains("100 bytes"))
    }

    /// Deeply nested JSON is an error, not a crash.
    /// Nesting deeper than the limit is refused before decoding (whose time grows much faster
    /// than the depth), naming the limit; brackets inside strings do not count.
    @Test func refusesNestingDeeperThanTheLimit() throws {
        func signal(nestedIn depth: Int) -> String {
            // The message object and "data" are two levels; the rest are arrays inside "data".
            #"{"type":"signal","to":"abc","data":{"x":"# + String(repeating: "[", count: depth - 2)
                + String(repeating: "]", count: depth - 2) + "}}"
        }
        guard case .success(.signal) = decode(signal(nestedIn: ClientMessage.maxNestingDepth)) else {
            Issue.record("a message at the nesting limit was refused")
            return
        }
        guard case .failure(let error) = decode(signal(nestedIn: ClientMessage.maxNestingDepth + 1)) else {
            Issue.record("a message over the nesting limit was accepted")
            return
        }
        #expect(error.code == .invalidJSON)
        #expect(error.message.contains("\(ClientMessage.maxNestingDepth) levels"))
        let bracketsInAString =
            #"{"type":"signal","to":"abc","data":{"sdp":""# + String(repeating: "[{", count: 100) + #"\"[\""}}"#
        guard case .success(.signal) = decode(bracketsInAString) else {
            Issue.record("brackets inside a string were counted as nesting")
            return
        }
    }

    @Test func survivesDeepNesting() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        guard case .failure(let error) = decode(text, maxBytes: 1 << 20) else {
            Issue.record("deep nesting was accepted")
            return
        }
        #expect(error.code == .invalidJSON)
    }
}
