import NIOCore
import Synchronization
import Testing
import WebSocketServer

@testable import ParleyServer

/// The one timer behind every connection's join deadline (`SignalingRelay.passJoinDeadlines`),
/// on a clock the test moves by hand.
struct JoinDeadlineTests {
    /// The wait it asks for is exactly the time to the next deadline not yet passed, never zero
    /// or behind: a timer that asked for a passed deadline would wake again at once, and keep a
    /// core busy.
    @Test func theNextWaitIsTheNextDeadlineStillAhead() throws {
        var configuration = ParleyConfiguration()
        configuration.joinTimeout = .milliseconds(200)
        let time = Mutex<Duration>(.zero)
        let relay = SignalingRelay(
            configuration: configuration, knownRooms: [:], tokens: nil, turnCredentials: nil, metrics: ParleyMetrics(),
            uptime: { time.withLock { $0 } })
        #expect(relay.passJoinDeadlines() == .milliseconds(200))
        // One connection at 0 ms, four more at 100 ms: at 250 ms the first one's deadline has
        // passed and four are still to come (the passed entry is not yet dropped from the list).
        func open() throws -> Outbox {
            let outbox = Outbox(messageLimit: 10, byteLimit: 10_000, wake: {})
            try #require(relay.open(from: "192.0.2.1", outbox: outbox) != nil)
            return outbox
        }
        let first = try open()
        time.withLock { $0 = .milliseconds(100) }
        let later = try (0..<4).map { _ in try open() }
        time.withLock { $0 = .milliseconds(250) }
        #expect(relay.passJoinDeadlines() == .milliseconds(50))
        #expect(first.enqueue(ByteBuffer(string: "late")) == .closed)
        for outbox in later {
            #expect(outbox.enqueue(ByteBuffer(string: "in time")) == .queued)
        }
        time.withLock { $0 = .milliseconds(300) }
        #expect(relay.passJoinDeadlines() == .milliseconds(200))
        for outbox in later {
            #expect(outbox.enqueue(ByteBuffer(string: "late")) == .closed)
        }
    }
}
