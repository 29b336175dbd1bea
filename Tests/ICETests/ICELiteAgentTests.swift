import ICE
import STUN
import Testing

/// The server's ICE-lite agent against checks as Chromium sends them: USERNAME
/// "<server ufrag>:<browser ufrag>", PRIORITY, ICE-CONTROLLING, USE-CANDIDATE on the nominated
/// pair, MESSAGE-INTEGRITY with the server's password, FINGERPRINT.
@Suite struct ICELiteAgentTests {
    static let server = ICECredentials(ufrag: "prly", password: "server-password-of-24-ch")
    static let browser = ICECredentials(ufrag: "brws", password: "browser-password-24-chars")
    static let host = TransportAddress("192.0.2.10:50000")!
    static let reflexive = TransportAddress("198.51.100.7:61000")!
    let start = ContinuousClock.now

    struct Check {
        var username = "\(ICELiteAgentTests.server.ufrag):\(ICELiteAgentTests.browser.ufrag)"
        var password = ICELiteAgentTests.server.password
        var nominate = false
        var priority: UInt32? = 1_853_824_767
        var role: Role = .controlling
        var integrity = true
        var fingerprint = true
        var transactionID = TransactionID.random()

        enum Role { case controlling, controlled }

        var bytes: [UInt8] {
            var message = STUNMessage(type: .request(.binding), transactionID: transactionID)
            message.append(Username(text: username))
            switch role {
            case .controlling: message.append(ICEControlling(tieBreaker: 0x0102_0304_0506_0708))
            case .controlled: message.append(ICEControlled(tieBreaker: 0x0102_0304_0506_0708))
            }
            if let priority { message.append(Priority(priority)) }
            if nominate { message.append(UseCandidate()) }
            let key = MessageIntegrity.shortTermKey(password: password)
            return message.encode(integrity: integrity ? .sha1(key: key) : nil, fingerprint: fingerprint)
        }
    }

    func makeAgent() -> ICELiteAgent { ICELiteAgent(local: Self.server, remote: Self.browser) }

    /// The one response in `outputs`, decoded, and where it goes.
    func response(_ outputs: [ICELiteAgent.Output]) throws -> (STUNMessage, TransportAddress) {
        let sends = outputs.compactMap { output -> ([UInt8], TransportAddress)? in
            if case .send(let bytes, let address) = output { return (bytes, address) }
            return nil
        }
        try #require(sends.count == 1)
        return (try STUNMessage(decoding: sends[0].0), sends[0].1)
    }

    @Test func checkIsAnsweredWithTheSourceAddress() throws {
        var agent = makeAgent()
        let check = Check()
        let outputs = agent.stunReceived(check.bytes, from: Self.host, now: start)
        let (message, destination) = try response(outputs)
        #expect(destination == Self.host)
        #expect(message.type == .success(.binding))
        #expect(message.transactionID == check.transactionID)
        #expect(try message.attribute(XORMappedAddress.self)?.address == Self.host)
        // Signed with the server's password, as the browser verifies it.
        #expect(
            message.verifyIntegrity(key: MessageIntegrity.shortTermKey(password: Self.server.password))
                == .valid(sha256: false))
        #expect(message.contains(.fingerprint))
        // Authenticated, but not nominated yet: no media address.
        #expect(outputs.count == 1)
        #expect(agent.isAuthenticated(Self.host))
        #expect(!agent.isAuthenticated(Self.reflexive))
        #expect(agent.selectedAddress == nil)
    }

    @Test func useCandidateSelectsTheAddressAndANewNominationMovesIt() throws {
        var agent = makeAgent()
        let first = agent.stunReceived(Check(nominate: true).bytes, from: Self.host, now: start)
        #expect(first.last == .selected(Self.host))
        #expect(agent.selectedAddress == Self.host)
        // The same nomination again (every consent check carries it) reports nothing new.
        let again = agent.stunReceived(Check(nominate: true).bytes, from: Self.host, now: start + .seconds(5))
        #expect(again.count == 1)
        let moved = agent.stunReceived(Check(nominate: true).bytes, from: Self.reflexive, now: start + .seconds(6))
        #expect(moved.last == .selected(Self.reflexive))
        #expect(agent.selectedAddress == Self.reflexive)
    }

    /// Each refusal with the status code that says why, and nothing learned from it.
    @Test(arguments: [
        (Check(password: "not-the-server-password!"), 401),
        (Check(username: "prly:other"), 401),
        (Check(username: "nope:brws"), 401),
        (Check(username: "prly"), 401),
        (Check(integrity: false), 400),
        (Check(priority: nil), 400),
        (Check(role: .controlled), 487),
    ])
    func refusedChecks(check: Check, code: Int) throws {
        var agent = makeAgent()
        var nominating = check
        nominating.nominate = true
        let (message, destination) = try response(
            agent.stunReceived(nominating.bytes, from: Self.host, now: start))
        #expect(destination == Self.host)
        #expect(message.type == .error(.binding))
        #expect(try message.attribute(ErrorCode.self)?.code == code)
        #expect(!agent.isAuthenticated(Self.host))
        #expect(agent.selectedAddress == nil)
    }

    @Test func usernameWithoutRemoteCredentialsNeedsOnlyOurUfrag() throws {
        var agent = ICELiteAgent(local: Self.server)
        let (message, _) = try response(
            agent.stunReceived(Check(username: "prly:anything").bytes, from: Self.host, now: start))
        #expect(message.type == .success(.binding))
    }

    /// Not ICE traffic: no FINGERPRINT, not a request, not STUN. Dropped without an answer.
    @Test func nonChecksAreDropped() {
        var agent = makeAgent()
        #expect(agent.stunReceived(Check(fingerprint: false).bytes, from: Self.host, now: start).isEmpty)
        let indication = STUNMessage(type: .indication(.binding), transactionID: .random()).encode(fingerprint: true)
        #expect(agent.stunReceived(indication, from: Self.host, now: start).isEmpty)
        #expect(agent.stunReceived([0x00, 0x01, 0x00], from: Self.host, now: start).isEmpty)
        #expect(agent.stunReceived(Array(repeating: 0xFF, count: 64), from: Self.host, now: start).isEmpty)
        #expect(!agent.isAuthenticated(Self.host))
    }

    /// RFC 7675: consent lasts 30 s from the last authenticated check of the selected address.
    @Test func consentIsLostThirtySecondsAfterTheLastCheck() {
        var agent = makeAgent()
        _ = agent.stunReceived(Check(nominate: true).bytes, from: Self.host, now: start)
        _ = agent.stunReceived(Check().bytes, from: Self.host, now: start + .seconds(10))
        #expect(agent.nextDeadline == start + .seconds(40))
        #expect(agent.poll(now: start + .seconds(39)).isEmpty)
        #expect(agent.selectedAddress == Self.host)
        #expect(agent.poll(now: start + .seconds(40)) == [.consentLost(Self.host)])
        #expect(agent.selectedAddress == nil)
        #expect(!agent.isAuthenticated(Self.host))
        #expect(agent.nextDeadline == nil)
        // A failed check does not renew anything.
        _ = agent.stunReceived(
            Check(password: "wrong-password-here-xxxx").bytes, from: Self.host, now: start + .seconds(41))
        #expect(!agent.isAuthenticated(Self.host))
    }

    /// A flood of checks from many addresses keeps a bounded table and never evicts the
    /// selected address.
    @Test func authenticatedAddressesAreBounded() {
        var configuration = ICELiteAgent.Configuration()
        configuration.maximumAuthenticatedAddresses = 4
        var agent = ICELiteAgent(local: Self.server, remote: Self.browser, configuration: configuration)
        _ = agent.stunReceived(Check(nominate: true).bytes, from: Self.host, now: start)
        for port in 1...10 {
            let address = TransportAddress(ip: Self.reflexive.ip, port: UInt16(40000 + port))
            _ = agent.stunReceived(Check().bytes, from: address, now: start + .seconds(port))
        }
        #expect(agent.isAuthenticated(Self.host))
        let remembered = (1...10).filter {
            agent.isAuthenticated(TransportAddress(ip: Self.reflexive.ip, port: UInt16(40000 + $0)))
        }
        #expect(remembered == [8, 9, 10])
    }

    /// RFC 5769 section 2.1's sample request verifies with its short-term password (a 401
    /// would say otherwise) and, since it claims ICE-CONTROLLED, gets a signed 487.
    /// The server ufrag is read from a check's USERNAME; anything that is not a Binding request
    /// with a USERNAME names nobody.
    @Test func checkNamesTheServerUfrag() {
        #expect(ICELiteAgent.localUsernameFragment(ofCheck: Check().bytes) == Self.server.ufrag)
        #expect(ICELiteAgent.localUsernameFragment(ofCheck: Check(username: "solo").bytes) == "solo")
        let indication = STUNMessage(type: .indication(.binding), transactionID: .random()).encode(fingerprint: true)
        #expect(ICELiteAgent.localUsernameFragment(ofCheck: indication) == nil)
        #expect(ICELiteAgent.localUsernameFragment(ofCheck: [0x80, 0x60, 0, 1]) == nil)
        #expect(ICELiteAgent.localUsernameFragment(ofCheck: []) == nil)
    }

    @Test func rfc5769SampleRequest() throws {
        let sample = hexBytes(
            """
            00010058 2112a442 b7e7a701 bc34d686 fa87dfae
            80220010 5354554e 20746573 7420636c 69656e74
            00240004 6e0001ff 80290008 932ff9b1 51263b36
            00060009 6576746a 3a683676 59202020
            00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
            80280004 e57a3bcf
            """)
        let credentials = ICECredentials(ufrag: "evtj", password: "VOkJxbRl1RmTxUk/WvJxBt")
        var agent = ICELiteAgent(local: credentials, remote: ICECredentials(ufrag: "h6vY", password: ""))
        let (message, _) = try response(agent.stunReceived(sample, from: Self.host, now: start))
        #expect(try message.attribute(ErrorCode.self)?.code == 487)
        #expect(
            message.verifyIntegrity(key: MessageIntegrity.shortTermKey(password: credentials.password))
                == .valid(sha256: false))
    }
}

/// Bytes from hex text; whitespace is ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.filter(\.isHexDigit))
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}
