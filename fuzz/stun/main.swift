// libFuzzer entry for the STUN/ChannelData decoders: every input must decode or throw, never
// trap, and whatever decodes must re-encode and decode again.

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
}
