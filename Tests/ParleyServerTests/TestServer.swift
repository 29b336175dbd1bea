import Foundation
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import ParleyServer
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs the real Parley application on a free port for the duration of `body`.
func withParley<Value: Sendable>(
    _ configuration: ParleyConfiguration = ParleyConfiguration(),
    _ body: @Sendable (_ server: TestServer) async throws -> Value
) async throws -> Value {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    // The Swift WebSocket client always sends this Origin (scheme and host, no port).
    configuration.allowedOrigins.append("ws://127.0.0.1")
    // scrypt at full cost takes seconds in a debug build.
    configuration.passwordHashCost = 10
    // Parallel tests must not all bind 3478; a test that wants TURN says so, with port 0.
    if configuration.turn.port != 0 {
        configuration.turn.mode = .off
    }
    // Nor the media port, 7882.
    configuration.media.port = 0
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "parley-test")
    logger.logLevel = .warning
    let app = try await buildApplication(configuration, logger: logger) { port in
        portSink.yield(port)
    }
    let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw TestFailure("server did not start") }
        let server = TestServer(port: port, group: group)
        do {
            let value = try await body(server)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct TestServer: Sendable {
    let port: Int
    let group: ServiceGroup

    func connect() async throws -> TestSocket {
        try await TestSocket.connect(port: port)
    }

    /// Connects and joins `room`; returns the socket and its `joined` message.
    func join(_ room: String, as name: String) async throws -> (TestSocket, [String: Any]) {
        let socket = try await connect()
        socket.send(["type": "join", "room": room, "name": name])
        let joined = try await socket.next()
        guard joined["type"] as? String == "joined" else { throw TestFailure("expected joined, got \(joined)") }
        return (socket, joined)
    }

    func get(_ path: String) async throws -> (status: Int, contentType: String?, body: String) {
        let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self))
    }

    /// Any HTTP request; the status, the response's headers and its body as text.
    func request(
        _ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for case (let name as String, let value as String) in http.allHeaderFields { fields[name.lowercased()] = value }
        return (http.statusCode, fields, String(decoding: data, as: UTF8.self))
    }
}

/// A real WebSocket client: what the server sends arrives in `incoming`, in order.
final class TestSocket: Sendable {
    enum Event: Sendable {
        case text(String)
        case closed(code: Int?)
    }

    enum Outgoing: Sendable {
        case text(String)
        case frame(WebSocketFrame)
        case close
    }

    private let events: AsyncStream<Event>
    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        // Only the test that owns the socket reads it, one message at a time.
        var iterator: AsyncStream<Event>.AsyncIterator
        init(_ iterator: AsyncStream<Event>.AsyncIterator) { self.iterator = iterator }
    }

    private init(events: AsyncStream<Event>, outgoing: AsyncStream<Outgoing>.Continuation) {
        self.events = events
        self.outgoing = outgoing
        self.iterator = IteratorBox(events.makeAsyncIterator())
    }

    static func connect(port: Int) async throws -> TestSocket {
        let (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        let (outgoingStream, outgoing) = AsyncStream.makeStream(of: Outgoing.self)
        let (opened, openedSink) = AsyncStream.makeStream(of: Bool.self)
        var logger = Logger(label: "test-socket")
        logger.logLevel = .critical
        Task {
            let closeFrame = try? await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws",
                configuration: WebSocketClientConfiguration(maxFrameSize: 4 << 20),
                logger: logger
            ) { inbound, outbound, _ in
                openedSink.yield(true)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await item in outgoingStream {
                            switch item {
                            case .text(let text): try await outbound.write(.text(text))
                            case .frame(let frame): try await outbound.write(.custom(frame))
                            case .close: try await outbound.close(.normalClosure, reason: nil)
                            }
                        }
                    }
                    for try await message in inbound.messages(maxSize: 4 << 20) {
                        if case .text(let text) = message { eventSink.yield(.text(text)) }
                    }
                    group.cancelAll()
                }
            }
            openedSink.finish()
            eventSink.yield(.closed(code: closeFrame.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }))
            eventSink.finish()
        }
        var openedIterator = opened.makeAsyncIterator()
        guard await openedIterator.next() == true else { throw TestFailure("could not connect") }
        return TestSocket(events: events, outgoing: outgoing)
    }

    func send(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object)
        outgoing.yield(.text(String(decoding: data, as: UTF8.self)))
    }

    func sendText(_ text: String) {
        outgoing.yield(.text(text))
    }

    func sendFrame(_ frame: WebSocketFrame) {
        outgoing.yield(.frame(frame))
    }

    func close() {
        outgoing.yield(.close)
    }

    /// The next event, waiting at most `seconds` (so a missing message fails the test
    /// instead of hanging it).
    func nextEvent(within seconds: Double = 10) async throws -> Event {
        let box = iterator
        return try await withThrowingTaskGroup(of: Event?.self) { group in
            group.addTask { await box.iterator.next() ?? .closed(code: nil) }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let event = try await group.next()!, !Task.isCancelled else {
                throw TestFailure("nothing arrived within \(seconds) s")
            }
            return event
        }
    }

    /// The next message as a JSON object; fails if the connection closes instead.
    func next(within seconds: Double = 10) async throws -> [String: Any] {
        switch try await nextEvent(within: seconds) {
        case .text(let text):
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            guard let dictionary = object as? [String: Any] else { throw TestFailure("not an object: \(text)") }
            return dictionary
        case .closed(let code):
            throw TestFailure("connection closed (\(code.map(String.init) ?? "no code")) while waiting for a message")
        }
    }

    /// Waits for the connection to close; returns the close code.
    func closeCode(within seconds: Double = 10) async throws -> Int? {
        while true {
            if case .closed(let code) = try await nextEvent(within: seconds) { return code }
        }
    }
}
