import ParleySignaling
import Testing

@Suite struct RoomNameTests {
    /// Names made of letters, digits, underscore and hyphen, 1–64 long, are rooms.
    @Test(arguments: ["a", "daily-standup", "Team_42", String(repeating: "x", count: 64)])
    func acceptsValidNames(_ name: String) {
        #expect(RoomName(name)?.rawValue == name)
    }

    /// Anything else is refused: empty, too long, spaces, slashes, dots, non-ASCII letters.
    @Test(arguments: ["", String(repeating: "x", count: 65), "a b", "a/b", "..", "café", "room?x=1", "a\u{0}"])
    func refusesInvalidNames(_ name: String) {
        #expect(RoomName(name) == nil)
    }
}

@Suite struct DisplayNameTests {
    /// White space at both ends is trimmed; inner spaces stay.
    @Test func trimsWhitespace() {
        #expect(DisplayName("  Ada Lovelace \n")?.rawValue == "Ada Lovelace")
    }

    /// Any script is welcome, and length counts characters as people see them.
    @Test(arguments: ["李雷", "Zoë", "Дмитрий", "محمد", "👩‍💻", String(repeating: "é", count: 64)])
    func acceptsAnyScript(_ name: String) {
        #expect(DisplayName(name)?.rawValue == name)
    }

    /// Empty after trimming, longer than 64 characters, or with control characters: refused.
    @Test(arguments: ["", "   ", String(repeating: "a", count: 65), "Ada\nBob", "tab\there", "bell\u{7}"])
    func refusesInvalidNames(_ name: String) {
        #expect(DisplayName(name) == nil)
    }
}

@Suite struct PeerIDTests {
    /// Random peer ids are 16 lowercase hex digits, zero-padded.
    @Test func randomIDsAreSixteenHexDigits() {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<100 {
            let id = PeerID.random(using: &generator).rawValue
            #expect(id.count == 16)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
    }
}
