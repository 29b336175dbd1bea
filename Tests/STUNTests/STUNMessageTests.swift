import STUN
import Testing

@Suite struct STUNMessageTests {
    /// Method and class interleave into the type field as in RFC 8489 figure 3.
    @Test(arguments: [
        (STUNMessageType.request(.binding), UInt16(0x0001)),
        (.success(.binding), 0x0101),
        (.error(.binding), 0x0111),
        (.request(.allocate), 0x0003),
        (.success(.allocate), 0x0103),
        (.error(.allocate), 0x0113),
        (.indication(.send), 0x0016),
        (.indication(.data), 0x0017),
        (.request(.createPermission), 0x0008),
        (.request(.channelBind), 0x0009),
    ])
    func messageTypeBits(type: STUNMessageType, raw: UInt16) {
        #expect(type.rawValue == raw)
        #expect(STUNMessageType(rawValue: raw) == type)
    }

    /// Every attribute survives an encode/decode round trip.
    @Test func attributesRoundTrip() throws {
        var message = STUNMessage(type: .request(.allocate), transactionID: .sample)
        message.append(MappedAddress(TransportAddress("10.1.2.3:4")!))
        message.append(XORPeerAddress(TransportAddress("[fe80::1]:9")!))
        message.append(XORRelayedAddress(TransportAddress("203.0.113.7:50000")!))
        message.append(Username(text: "1700000000:alice"))
        message.append(Realm(text: "parley"))
        message.append(Nonce(text: "abc"))
        message.append(ErrorCode(code: 438))
        message.append(UnknownAttributes([.evenPort, .reservationToken]))
        message.append(Lifetime(seconds: 600))
        message.append(RequestedTransport.udp)
        message.append(ChannelNumber(0x4001))
        message.append(DataAttribute([1, 2, 3, 4, 5]))
        message.append(DontFragment())
        message.append(RequestedAddressFamily.ipv6)
        message.append(Software(text: "Parley"))
        let bytes = message.encode(integrity: .sha256(key: [1, 2, 3]), fingerprint: true)
        let decoded = try STUNMessage(decoding: bytes)
        #expect(try decoded.attribute(MappedAddress.self)?.address == TransportAddress("10.1.2.3:4"))
        #expect(try decoded.attribute(XORPeerAddress.self)?.address == TransportAddress("[fe80::1]:9"))
        #expect(try decoded.attribute(XORRelayedAddress.self)?.address == TransportAddress("203.0.113.7:50000"))
        #expect(try decoded.attribute(Username.self)?.text == "1700000000:alice")
        #expect(try decoded.attribute(Realm.self)?.text == "parley")
        #expect(try decoded.attribute(Nonce.self)?.text == "abc")
        #expect(try decoded.attribute(ErrorCode.self) == ErrorCode(code: 438, reason: "Stale Nonce"))
        #expect(try decoded.attribute(UnknownAttributes.self)?.types == [.evenPort, .reservationToken])
        #expect(try decoded.attribute(Lifetime.self)?.seconds == 600)
        #expect(try decoded.attribute(RequestedTransport.self) == .udp)
        #expect(try decoded.attribute(ChannelNumber.self)?.number == 0x4001)
        #expect(try decoded.attribute(DataAttribute.self)?.bytes == [1, 2, 3, 4, 5])
        #expect(try decoded.attribute(DontFragment.self) != nil)
        #expect(try decoded.attribute(RequestedAddressFamily.self) == .ipv6)
        #expect(try decoded.attribute(Software.self)?.text == "Parley")
        #expect(decoded.verifyIntegrity(key: [1, 2, 3]) == .valid(sha256: true))
        #expect(decoded.verifyIntegrity(key: [1, 2, 4]) == .invalid)
    }

    /// Attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored (RFC 8489 14.5).
    @Test func attributesAfterIntegrityAreIgnored() throws {
        var message = STUNMessage(type: .request(.binding), transactionID: .sample)
        message.append(Username(text: "u"))
        var bytes = message.encode(integrity: .sha1(key: [9]))
        // Append SOFTWARE after MESSAGE-INTEGRITY and fix the length.
        bytes += [0x80, 0x22, 0x00, 0x04, 0x41, 0x42, 0x43, 0x44]
        bytes[3] = UInt8(bytes.count - 20)
        let decoded = try STUNMessage(decoding: bytes)
        #expect(!decoded.contains(.software))
        #expect(decoded.verifyIntegrity(key: [9]) == .valid(sha256: false))
    }

    /// Malformed inputs throw the matching error instead of trapping.
    @Test func malformedInputs() {
        let valid = STUNMessage(type: .request(.binding), transactionID: .sample).encode()
        #expect(throws: STUNDecodingError.truncated) { try STUNMessage(decoding: Array(valid.prefix(19))) }
        var badCookie = valid
        badCookie[4] = 0
        #expect(throws: STUNDecodingError.badMagicCookie) { try STUNMessage(decoding: badCookie) }
        var notSTUN = valid
        notSTUN[0] = 0x80
        #expect(throws: STUNDecodingError.notSTUN) { try STUNMessage(decoding: notSTUN) }
        var badLength = valid
        badLength[3] = 4
        #expect(throws: STUNDecodingError.badLength) { try STUNMessage(decoding: badLength) }
        var overflow = valid + [0x00, 0x06, 0x00, 0x08, 0x41, 0x41, 0x41, 0x41]
        overflow[3] = 8
        #expect(throws: STUNDecodingError.attributeOverflow) { try STUNMessage(decoding: overflow) }
        var badAddress = valid + [0x00, 0x20, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00]
        badAddress[3] = 8
        #expect(throws: STUNDecodingError.malformedAttribute(.xorMappedAddress)) {
            try STUNMessage(decoding: badAddress).attribute(XORMappedAddress.self)
        }
    }

    /// ChannelData frames round trip; channel numbers outside 0x4000...0x7FFF are rejected.
    @Test func channelData() throws {
        let bytes = ChannelData.encode(channel: 0x4001, payload: [1, 2, 3], padded: true)
        #expect(bytes == [0x40, 0x01, 0x00, 0x03, 1, 2, 3, 0])
        let decoded = try ChannelData(decoding: bytes)
        #expect(decoded.channel == 0x4001)
        #expect(Array(decoded.payload) == [1, 2, 3])
        #expect(throws: STUNDecodingError.badChannelNumber) { try ChannelData(decoding: [0x80, 0, 0, 0]) }
        #expect(throws: STUNDecodingError.truncated) { try ChannelData(decoding: [0x40, 0, 0, 9, 1]) }
    }

    /// Stream framing finds STUN and padded ChannelData boundaries and asks for more bytes.
    @Test func streamFraming() {
        let stun = STUNMessage(type: .request(.binding), transactionID: .sample).encode()
        #expect(STUNStreamFraming.frame(at: stun) == .complete(length: 20))
        #expect(STUNStreamFraming.frame(at: Array(stun.prefix(10))) == .needMoreData)
        #expect(STUNStreamFraming.frame(at: [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]) == .complete(length: 12))
        #expect(STUNStreamFraming.frame(at: [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5]) == .needMoreData)
        #expect(STUNStreamFraming.frame(at: [0xFF, 0, 0, 0]) == .invalid)
    }

    /// Text addresses parse and print in RFC 5952 form.
    @Test(arguments: ["127.0.0.1", "::", "::1", "fe80::1", "2001:db8::ff00:42:8329", "::ffff:10.0.0.1", "64:ff9b::"])
    func ipAddressText(text: String) throws {
        let address = try #require(IPAddress(text))
        let expected = text == "::ffff:10.0.0.1" ? "::ffff:a00:1" : text
        #expect(address.description == expected)
        #expect(IPAddress(address.description) == address)
    }

    /// Garbage is not an address.
    @Test(arguments: ["", "1.2.3", "1.2.3.256", "1::2::3", "12345::", "::g", "1.2.3.4.5", ":::"])
    func ipAddressRejects(text: String) {
        #expect(IPAddress(text) == nil)
    }
}
