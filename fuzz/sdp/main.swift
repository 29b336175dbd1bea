// libFuzzer entry for the SDP parser and the echo answerer: every input must parse or throw,
// never trap; whatever parses must serialise to text that parses back to the same value, and
// its echo answer (when there is one) must parse too.

let options = AnswerOptions(
    iceUsernameFragment: "fuzz", icePassword: "fuzzfuzzfuzzfuzzfuzzfu",
    fingerprint: Fingerprint(hashFunction: "sha-256", bytes: Array(repeating: 0xAB, count: 32)),
    candidates: [Candidate.udpHost(address: "192.0.2.1", port: 3478, foundation: "1")], sessionID: 1,
    sessionVersion: 1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Both entry points: raw bytes (invalid UTF-8 must be refused) and the repaired string.
    _ = try? SessionDescription(parsing: bytes)
    guard let offer = try? SessionDescription(parsing: String(decoding: bytes, as: UTF8.self)) else { return 0 }
    let text = offer.serialized()
    guard let again = try? SessionDescription(parsing: text, limits: SDPLimits(maximumBytes: 1 << 20)) else {
        fatalError("serialised description does not parse:\n\(text)")
    }
    precondition(again == offer, "serialised description parses to a different value:\n\(text)")
    if let echo = try? EchoAnswer(offer: offer, options: options) {
        let answerText = echo.answer.serialized()
        guard let answer = try? SessionDescription(parsing: answerText, limits: SDPLimits(maximumBytes: 1 << 20))
        else {
            fatalError("answer does not parse:\n\(answerText)")
        }
        precondition(answer == echo.answer, "answer parses to a different value:\n\(answerText)")
        precondition(answer.media.count == offer.media.count)
    }
    // The stand-alone parsers a signalling handler calls on trickled candidates.
    let short = String(decoding: bytes.prefix(512), as: UTF8.self)
    if let candidate = try? Candidate(parsing: short) {
        precondition(try! Candidate(parsing: candidate.attributeValue) == candidate)
    }
    if let fingerprint = try? Fingerprint(parsing: short) {
        precondition(try! Fingerprint(parsing: "\(fingerprint.hashFunction) \(fingerprint.hexText)") == fingerprint)
    }
    return 0
}
