import MediaCrypto
import Testing

@Suite struct DTLSTimerTests {
    /// Before the deadline (by the passed-in time) handleTimeout sends nothing.
    @Test func nothingIsResentBeforeTheDeadline() throws {
        let (client, _) = try makeEndpoints(initialRetransmission: .seconds(1))
        let now = ContinuousClock.now
        #expect(client.start(now: now).count == 1)
        let deadline = try #require(client.nextDeadline)
        #expect(deadline >= now + .milliseconds(900) && deadline <= now + .seconds(1))
        #expect(client.handleTimeout(now: now + .milliseconds(500)) == [])
        #expect(client.nextDeadline == deadline)
    }

    /// A passed-in time ahead of the wall clock cannot hasten OpenSSL: nothing is sent and the
    /// deadline moves to when OpenSSL's own timer runs out.
    @Test func simulatedTimeAheadOfWallClockDefersRetransmission() throws {
        let (client, _) = try makeEndpoints(initialRetransmission: .seconds(1))
        let now = ContinuousClock.now
        _ = client.start(now: now)
        let simulated = now + .seconds(2)
        #expect(client.handleTimeout(now: simulated) == [])
        let deadline = try #require(client.nextDeadline)
        #expect(deadline > simulated && deadline <= simulated + .seconds(1))
        #expect(client.state == .handshaking)
    }

    /// Once the deadline passed on both clocks, the flight is re-sent with a doubled interval.
    @Test func flightIsResentAfterTheDeadlineWithDoubledInterval() async throws {
        let (client, _) = try makeEndpoints(initialRetransmission: .milliseconds(40))
        let hello = client.start(now: .now)
        let first = try #require(client.nextDeadline)
        try await Task.sleep(until: first, clock: .continuous)
        let now = ContinuousClock.now
        let again = client.handleTimeout(now: now)
        #expect(again.count == hello.count)
        let second = try #require(client.nextDeadline)
        #expect(second >= now + .milliseconds(60) && second <= now + .milliseconds(80))
    }

    /// With every flight lost, the handshake fails after the allowed retransmissions.
    @Test func handshakeFailsAfterTooManyRetransmissions() async throws {
        let (client, server) = try makeEndpoints(initialRetransmission: .milliseconds(20), maximumRetransmissions: 2)
        let link = Link(client: client, server: server) { sender, _ in sender == .client }
        try await link.run()
        let reason = try #require(client.state.failureReason)
        #expect(reason.contains("retransmissions"))
        #expect(client.nextDeadline == nil)
        #expect(link.sent.count == 3)
        #expect(client.handleTimeout(now: .now + .seconds(100)) == [])
    }
}
