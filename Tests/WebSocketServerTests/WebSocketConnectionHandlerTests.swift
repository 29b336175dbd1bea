import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import Synchronization
import Testing

@testable import WebSocketServer

/// The connection handler in a real (test) channel pipeline, frames in and out, time moved by
/// hand. The whole server path (HTTP upgrade, real sockets) is covered by ParleyServerTests.
struct WebSocketConnectionHandlerTests {
    static let settings = WebSocketSettings(
        path: "/ws", maxMessageBytes: 16, pingInterval: .seconds(15), closeTimeout: .seconds(5),
        outboxMessageLimit: 4, outboxByteLimit: 64)

    /// What a session was handed, and a gate that holds its slow work back.
    final class Recorder: Sendable {
        let messages = Mutex<[String]>([])
        let closedCount = Mutex(0)
        /// Messages starting with "slow" return work that waits for `release`.
        let gate: AsyncStream<Void>
        let release: AsyncStream<Void>.Continuation

        init() {
            (gate, release) = AsyncStream.makeStream()
        }
    }

    struct Service: WebSocketService {
        let recorder: Recorder

        func open(request: HTTPRequestHead, remoteAddress: SocketAddress?, outbox: Outbox) -> WebSocketOpening<Session>
        {
            .accept(Session(recorder: recorder))
        }
    }

    struct Session: WebSocketSession {
        let recorder: Recorder

        func received(_ message: WebSocketMessage) -> (@Sendable () async -> Void)? {
            let text: String
            switch message {
            case .text(let string): text = string
            case .binary(let bytes): text = "binary \(bytes.readableBytes)"
            }
            recorder.messages.withLock { $0.append(text) }
            guard text.hasPrefix("slow") else { return nil }
            return { [recorder] in
                var gate = recorder.gate.makeAsyncIterator()
                _ = await gate.next()
                recorder.messages.withLock { $0.append("\(text) done") }
            }
        }

        func closed() {
            recorder.closedCount.withLock { $0 += 1 }
        }
    }

    /// Counts the reads that reach the socket.
    final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any
        let reads = Mutex(0)

        func read(context: ChannelHandlerContext) {
            reads.withLock { $0 += 1 }
            context.read()
        }
    }

    /// A channel with an accepted connection's handler in it.
    private func connection(
        readCounter: ReadCounter = ReadCounter()
    ) async throws -> (NIOAsyncTestingChannel, Outbox, Recorder) {
        let recorder = Recorder()
        let channel = NIOAsyncTestingChannel()
        // As on a server, the handler is made and added on the channel's event loop.
        let outbox = try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(readCounter)
            let handler = WebSocketConnectionHandler<Service>(settings: Self.settings)
            let outbox = handler.makeOutbox(on: channel.eventLoop)
            handler.accept(Session(recorder: recorder))
            try channel.pipeline.syncOperations.addHandler(handler)
            return outbox
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        return (channel, outbox, recorder)
    }

    private func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(string: text))
    }

    /// The close frame the handler sent: its code and reason.
    private func closeSent(on channel: NIOAsyncTestingChannel) async throws -> (UInt16?, String) {
        while let frame = try await channel.readOutbound(as: WebSocketFrame.self) {
            guard frame.opcode == .connectionClose else { continue }
            var data = frame.data
            let code = data.readInteger(as: UInt16.self)
            return (code, data.readString(length: data.readableBytes) ?? "")
        }
        return (nil, "no close frame")
    }

    @Test func fragmentsAreJoinedIntoOneMessage() async throws {
        let (channel, _, recorder) = try await connection()
        try await channel.writeInbound(frame(.text, "Hel", fin: false))
        try await channel.writeInbound(frame(.continuation, "lo, ", fin: false))
        #expect(recorder.messages.withLock { $0 }.isEmpty)
        try await channel.writeInbound(frame(.continuation, "Ada"))
        try await channel.writeInbound(frame(.binary, "abc"))
        #expect(recorder.messages.withLock { $0 } == ["Hello, Ada", "binary 3"])
    }

    @Test func aMessageOverTheLimitClosesWith1009() async throws {
        let (channel, _, recorder) = try await connection()
        try await channel.writeInbound(frame(.text, "0123456789", fin: false))
        try await channel.writeInbound(frame(.continuation, "0123456789", fin: false))
        let (code, reason) = try await closeSent(on: channel)
        #expect(code == 1009)
        #expect(reason.contains("16 bytes"))
        // Nothing more is handed over once the close is under way.
        try await channel.writeInbound(frame(.text, "late"))
        #expect(recorder.messages.withLock { $0 }.isEmpty)
    }

    @Test func textThatIsNotUTF8ClosesWith1007() async throws {
        let (channel, _, recorder) = try await connection()
        try await channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0x7B, 0xFF])))
        #expect(try await closeSent(on: channel).0 == 1007)
        #expect(recorder.messages.withLock { $0 }.isEmpty)
    }

    @Test func fragmentsOutOfOrderCloseWith1002() async throws {
        let (channel, _, _) = try await connection()
        try await channel.writeInbound(frame(.continuation, "orphan"))
        #expect(try await closeSent(on: channel).0 == 1002)

        let (second, _, _) = try await connection()
        try await second.writeInbound(frame(.text, "one", fin: false))
        try await second.writeInbound(frame(.text, "two"))
        #expect(try await closeSent(on: second).0 == 1002)
    }

    @Test func aPingIsAnsweredWithItsData() async throws {
        let (channel, _, _) = try await connection()
        try await channel.writeInbound(frame(.ping, "are you there"))
        let pong = try #require(try await channel.readOutbound(as: WebSocketFrame.self))
        #expect(pong.opcode == .pong)
        #expect(String(buffer: pong.data) == "are you there")
    }

    /// The handler pings every interval; a client that has not answered by the next one is closed.
    @Test func aClientThatStopsAnsweringPingsIsClosed() async throws {
        let (channel, _, recorder) = try await connection()
        await channel.testingEventLoop.advanceTime(by: .seconds(15))
        #expect(try await channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        try await channel.writeInbound(frame(.pong, ""))
        await channel.testingEventLoop.advanceTime(by: .seconds(15))
        #expect(try await channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        #expect(channel.isActive)
        // No pong this time.
        await channel.testingEventLoop.advanceTime(by: .seconds(15))
        let (code, reason) = try await closeSent(on: channel)
        #expect(code == 1001 && reason == "Ping timeout")
        #expect(!channel.isActive)
        #expect(recorder.closedCount.withLock { $0 } == 1)
    }

    /// Texts queued from any thread go out on the event loop, in order, after one wake-up.
    @Test func queuedTextsAreWrittenInOrder() async throws {
        let (channel, outbox, _) = try await connection()
        for text in ["a", "b", "c"] {
            #expect(outbox.enqueue(ByteBuffer(string: text)) == .queued)
        }
        await channel.testingEventLoop.run()
        var written: [String] = []
        while let frame = try await channel.readOutbound(as: WebSocketFrame.self) {
            #expect(frame.opcode == .text)
            written.append(String(buffer: frame.data))
        }
        #expect(written == ["a", "b", "c"])
    }

    /// A close request sends its final text, then the close frame; the connection ends when the
    /// client answers, or after the close timeout when it does not.
    @Test func aCloseRequestSendsTheFinalTextThenCloses() async throws {
        let (channel, outbox, recorder) = try await connection()
        // Both on the event loop, so no write can come between them (the testing loop may run
        // a wake-up from another thread at once).
        try await channel.testingEventLoop.executeInContext {
            _ = outbox.enqueue(ByteBuffer(string: "dropped by the close"))
            outbox.close(Outbox.CloseRequest(code: 1008, finalText: ByteBuffer(string: "why"), reason: "policy"))
        }
        #expect(outbox.enqueue(ByteBuffer(string: "after")) == .closed)
        await channel.testingEventLoop.run()
        let finalText = try #require(try await channel.readOutbound(as: WebSocketFrame.self))
        #expect(finalText.opcode == .text && String(buffer: finalText.data) == "why")
        let (code, reason) = try await closeSent(on: channel)
        #expect(code == 1008 && reason == "policy")
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive)
        #expect(recorder.closedCount.withLock { $0 } == 1)
    }

    @Test func aClientsCloseIsAnsweredWithItsCode() async throws {
        let (channel, _, recorder) = try await connection()
        var data = ByteBuffer()
        data.write(webSocketErrorCode: .normalClosure)
        try await channel.writeInbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        #expect(try await closeSent(on: channel).0 == 1000)
        await channel.testingEventLoop.run()
        #expect(!channel.isActive)
        #expect(recorder.closedCount.withLock { $0 } == 1)
    }

    /// A client that shuts its side of the TCP connection without a close frame is gone.
    @Test func aClientThatClosesItsSideIsGone() async throws {
        let (channel, _, recorder) = try await connection()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        await channel.testingEventLoop.run()
        #expect(!channel.isActive)
        #expect(recorder.closedCount.withLock { $0 } == 1)
    }

    /// While the session works on a message, later messages wait, and reading stops; they are
    /// handed over in order once the work is done.
    @Test func messagesWaitWhileTheSessionIsBusy() async throws {
        let readCounter = ReadCounter()
        let (channel, _, recorder) = try await connection(readCounter: readCounter)
        try await channel.writeInbound(frame(.text, "slow one"))
        try await channel.writeInbound(frame(.text, "two"))
        try await channel.writeInbound(frame(.text, "three"))
        #expect(recorder.messages.withLock { $0 } == ["slow one"])
        let readsBefore = readCounter.reads.withLock { $0 }
        try await channel.testingEventLoop.executeInContext { channel.read() }
        #expect(readCounter.reads.withLock { $0 } == readsBefore)
        recorder.release.yield()
        // The work finishes on another thread and hands back to the event loop.
        var rounds = 0
        while recorder.messages.withLock({ $0.count }) < 4, rounds < 1_000 {
            await channel.testingEventLoop.run()
            try await Task.sleep(for: .milliseconds(1))
            rounds += 1
        }
        #expect(recorder.messages.withLock { $0 } == ["slow one", "slow one done", "two", "three"])
        // The read held back reaches the socket now.
        #expect(readCounter.reads.withLock { $0 } == readsBefore + 1)
    }
}

struct OutboxTests {
    @Test func onlyTheFirstTextIntoAnEmptyOutboxWakes() {
        let wakes = Mutex(0)
        let outbox = Outbox(messageLimit: 3, byteLimit: 100, wake: { wakes.withLock { $0 += 1 } })
        #expect(outbox.enqueue(ByteBuffer(string: "a")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "b")) == .queued)
        #expect(wakes.withLock { $0 } == 1)
        guard case .texts(let texts) = outbox.take(texts: true) else {
            Issue.record("expected the queued texts")
            return
        }
        #expect(texts.map { String(buffer: $0) } == ["a", "b"])
        #expect(outbox.enqueue(ByteBuffer(string: "c")) == .queued)
        #expect(wakes.withLock { $0 } == 2)
    }

    @Test func overTheMessageOrByteLimitIsFull() {
        let outbox = Outbox(messageLimit: 2, byteLimit: 10, wake: {})
        #expect(outbox.enqueue(ByteBuffer(string: "12345678")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "123")) == .full)
        #expect(outbox.enqueue(ByteBuffer(string: "12")) == .queued)
        #expect(outbox.enqueue(ByteBuffer(string: "")) == .full)
    }

    /// A handler that holds texts back for a slow socket still learns of a close at once.
    @Test func aCloseAlwaysWakesAndOvertakesTexts() {
        let wakes = Mutex(0)
        let outbox = Outbox(messageLimit: 3, byteLimit: 100, wake: { wakes.withLock { $0 += 1 } })
        _ = outbox.enqueue(ByteBuffer(string: "a"))
        if case .nothing = outbox.take(texts: false) {} else { Issue.record("texts taken while not writable") }
        outbox.close(Outbox.CloseRequest(code: 1000))
        #expect(wakes.withLock { $0 } == 2)
        guard case .close(let request) = outbox.take(texts: false) else {
            Issue.record("expected the close request")
            return
        }
        #expect(request.code == 1000)
        #expect(outbox.enqueue(ByteBuffer(string: "b")) == .closed)
    }

    @Test func aDetachedOutboxTakesNothing() {
        let outbox = Outbox(messageLimit: 3, byteLimit: 100, wake: {})
        outbox.detach()
        #expect(outbox.enqueue(ByteBuffer(string: "a")) == .closed)
    }
}
