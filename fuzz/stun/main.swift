// libFuzzer entry for the STUN/ChannelData decoders and the ICE-lite agent (compiled into the
// same module): every input must decode or throw, never trap, and whatever decodes must
// re-encode and decode again.

/// One agent for the whole run, so state (authenticated addresses) builds up across inputs.
nonisolated(unsafe) var iceAgent = ICELiteAgent(
    local: ICECredentials(ufrag: "fuzz", password: "fuzz-password-0123456789"),
    remote: ICECredentials(ufrag: "peer", password: "peer-password-0123456789"))
let iceStart = ContinuousClock.now
nonisolated(unsafe) var iceInputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? STUNMessage(decoding: bytes) {
        exerciseAttributes(message)
        _ = message.verifyIntegrity(key: [1, 2, 3])
        let again = message.encode(integrity: .sha1(key: [1]), fingerprint: true)
        guard let reparsed = try? STUNMessage(decoding: again) else {
            fatalError("re-encoded message does not decode")
        }
        precondition(reparsed.type == message.type && reparsed.transactionID == message.transactionID)
    }
    if let frame = try? ChannelData(decoding: bytes) {
        precondition(Array(try! ChannelData(decoding: frame.encode(padded: true)).payload) == Array(frame.payload))
    }
    var rest = bytes[...]
    while case .complete(let length) = STUNStreamFraming.frame(at: Array(rest)) {
        precondition(length > 0 && length <= rest.count)
        rest = rest.dropFirst(length)
    }
    _ = IPAddress(String(decoding: bytes.prefix(64), as: UTF8.self))
    exerciseICE(bytes)
    return 0
}

func exerciseAttributes(_ message: STUNMessage) {
    _ = try? message.attribute(MappedAddress.self)
    _ = try? message.attribute(XORMappedAddress.self)
    _ = try? message.attributes(XORPeerAddress.self)
    _ = try? message.attribute(XORRelayedAddress.self)
    _ = try? message.attribute(Username.self)
    _ = try? message.attribute(Realm.self)
    _ = try? message.attribute(Nonce.self)
    _ = try? message.attribute(Software.self)
    _ = try? message.attribute(MessageIntegrity.self)
    _ = try? message.attribute(MessageIntegritySHA256.self)
    _ = try? message.attribute(Fingerprint.self)
    _ = try? message.attribute(ErrorCode.self)
    _ = try? message.attribute(UnknownAttributes.self)
    _ = try? message.attribute(Lifetime.self)
    _ = try? message.attribute(RequestedTransport.self)
    _ = try? message.attribute(RequestedAddressFamily.self)
    _ = try? message.attribute(ChannelNumber.self)
    _ = try? message.attribute(DataAttribute.self)
    _ = try? message.attribute(DontFragment.self)
    _ = try? message.attribute(Priority.self)
    _ = try? message.attribute(UseCandidate.self)
    _ = try? message.attribute(ICEControlling.self)
    _ = try? message.attribute(ICEControlled.self)
}

/// The agent answers at most once per datagram, to the source, and stays bounded.
func exerciseICE(_ bytes: [UInt8]) {
    iceInputs += 1
    let now = iceStart + .milliseconds(iceInputs * 100)
    let source = TransportAddress(ip: .v4(0xC000_0200 | UInt32(bytes.first ?? 0)), port: 5000)
    let outputs = iceAgent.stunReceived(bytes, from: source, now: now)
    precondition(outputs.count <= 2)
    for case .send(let response, let destination) in outputs {
        precondition(destination == source)
        precondition((try? STUNMessage(decoding: response)) != nil, "the agent sent a response that does not decode")
    }
    _ = iceAgent.poll(now: now)
}
