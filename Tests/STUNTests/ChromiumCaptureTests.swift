import Foundation
import STUN
import Testing

/// The TURN Allocate requests Debian's Chromium really sends, captured on loopback
/// (Fixtures/README.txt says how): the unauthenticated first try and the retry after 401.
@Suite struct ChromiumCaptureTests {
    static let username = "1999999999:peer"
    static let password = "x"
    static let realm = "parley"
    static let nonce = "chromium-fixture-nonce"

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "hex", subdirectory: "Fixtures"),
            "missing fixture \(name).hex")
        return hex(try String(contentsOf: url, encoding: .utf8))
    }

    /// The first Allocate carries no credentials, only REQUESTED-TRANSPORT UDP.
    @Test func firstAllocateIsUnauthenticated() throws {
        let message = try STUNMessage(decoding: Self.fixture("chromium-allocate-1"))
        #expect(message.type == .request(.allocate))
        #expect(try message.attribute(RequestedTransport.self) == .udp)
        #expect(!message.contains(.username))
        #expect(!message.contains(.realm))
        #expect(!message.contains(.nonce))
        #expect(!message.contains(.messageIntegrity))
        #expect(!message.contains(.messageIntegritySHA256))
        #expect(message.verifyIntegrity(key: [1, 2, 3]) == .absent)
        // Decoding checks FINGERPRINT when present; Chromium 156 sends none on Allocate.
        #expect(!message.contains(.fingerprint))
    }

    /// After 401 (REALM, NONCE) the retry is a new transaction with USERNAME, REALM, NONCE and
    /// MESSAGE-INTEGRITY under the long-term key MD5(username:realm:password).
    @Test func secondAllocateAuthenticates() throws {
        let first = try STUNMessage(decoding: Self.fixture("chromium-allocate-1"))
        let message = try STUNMessage(decoding: Self.fixture("chromium-allocate-2"))
        #expect(message.type == .request(.allocate))
        #expect(message.transactionID != first.transactionID)
        #expect(try message.attribute(RequestedTransport.self) == .udp)
        #expect(try message.attribute(Username.self)?.text == Self.username)
        #expect(try message.attribute(Realm.self)?.text == Self.realm)
        #expect(try message.attribute(Nonce.self)?.text == Self.nonce)
        #expect(message.contains(.messageIntegrity))
        #expect(!message.contains(.messageIntegritySHA256))
        #expect(!message.contains(.fingerprint))

        let key = MessageIntegrity.longTermKey(username: Self.username, realm: Self.realm, password: Self.password)
        #expect(key == hex("b29535109a894edcd126705454dbe571"))
        #expect(message.verifyIntegrity(key: key) == .valid(sha256: false))
        let wrong = MessageIntegrity.longTermKey(username: Self.username, realm: Self.realm, password: "y")
        #expect(message.verifyIntegrity(key: wrong) == .invalid)
    }

    /// Parley's encoder, given the decoded attributes and the same key, produces Chromium's
    /// bytes exactly: same attribute order, padding and HMAC.
    @Test(arguments: ["chromium-allocate-1", "chromium-allocate-2"])
    func reencodesByteForByte(name: String) throws {
        let bytes = try Self.fixture(name)
        let message = try STUNMessage(decoding: bytes)
        let rebuilt = STUNMessage(
            type: message.type, transactionID: message.transactionID, attributes: message.attributes)
        let integrity: STUNIntegrity? =
            message.contains(.messageIntegrity)
            ? .sha1(
                key: MessageIntegrity.longTermKey(username: Self.username, realm: Self.realm, password: Self.password))
            : nil
        #expect(rebuilt.encode(integrity: integrity, fingerprint: message.contains(.fingerprint)) == bytes)
    }

    /// A flipped bit anywhere before MESSAGE-INTEGRITY breaks the check (or the decoding).
    @Test func tamperingIsDetected() throws {
        var bytes = try Self.fixture("chromium-allocate-2")
        let key = MessageIntegrity.longTermKey(username: Self.username, realm: Self.realm, password: Self.password)
        // A byte inside NONCE's value (the last attribute before MESSAGE-INTEGRITY).
        bytes[bytes.count - 24 - 4] ^= 0x01
        let message = try STUNMessage(decoding: bytes)
        #expect(message.verifyIntegrity(key: key) == .invalid)
    }
}
