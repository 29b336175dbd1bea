import Testing

@testable import ParleyServer

/// The one timer behind every connection's join deadline (`SignalingRelay.passJoinDeadlines`).
struct JoinDeadlineTests {
    /// The wait it asks for is always ahead, never zero or behind: a timer that asked for a
    /// passed deadline would wake again at once, and keep a core busy.
    @Test func theNextWaitIsAlwaysAhead() async throws {
        var configuration = ParleyConfiguration()
        configuration.joinTimeout = .milliseconds(200)
        let relay = SignalingRelay(
            configuration: configuration, knownRooms: [:], tokens: nil, turnCredentials: nil, metrics: ParleyMetrics())
        #expect(relay.passJoinDeadlines() == configuration.joinTimeout)
        // One connection, then four more 100 ms later: when the first one's deadline has
        // passed, four are still to come (the passed entry is not yet dropped from the list).
        var outboxes = [try #require(relay.open(from: "192.0.2.1")).1]
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<4 {
            outboxes.append(try #require(relay.open(from: "192.0.2.1")).1)
        }
        try await Task.sleep(for: .milliseconds(150))
        for _ in 0..<20 {
            let wait = relay.passJoinDeadlines()
            #expect(wait > .zero && wait <= configuration.joinTimeout)
            try await Task.sleep(for: .milliseconds(20))
        }
        // Every connection was told, once.
        for outbox in outboxes {
            #expect(outbox.enqueue("late") == .closed)
        }
    }
}
