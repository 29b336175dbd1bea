import STUN
import TURN
import Testing

@Suite struct TURNCredentialsTests {
    /// The password is base64(HMAC-SHA1(secret, username)), the same as coturn computes.
    @Test func passwordMatchesCoturnFormula() {
        #expect(
            TURNCredentials.password(secret: "north", username: "1700000000:alice") == "Cd/49soE35ICqcJF/bCTn8Z4OyE=")
    }

    /// Minted usernames are `expiry:peerid` with expiry = now + ttl.
    @Test func mintedUsernameCarriesExpiry() {
        let minted = TURNCredentials.mint(secret: "s", peerID: "3f9c0a7d12b4e6f1", now: start, ttl: 600)
        #expect(minted.username == "1700000600:3f9c0a7d12b4e6f1")
        #expect(TURNCredentials.expiry(ofUsername: minted.username) == start + 600)
        #expect(minted.password == TURNCredentials.password(secret: "s", username: minted.username))
    }

    /// Usernames without a numeric expiry are not REST credentials.
    @Test(arguments: ["alice", ":alice", "", "12x:alice", "99999999999999:alice"])
    func usernameWithoutExpiry(username: String) {
        #expect(TURNCredentials.expiry(ofUsername: username) == nil)
    }
}
