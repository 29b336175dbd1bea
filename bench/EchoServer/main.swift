// The baseline of the signalling capacity benchmark (bench/README.md): a bare WebSocket relay
// on the same stack as Parley (Hummingbird 2's HTTP/1 server, Parley's WebSocketServer target
// with the same settings), so that Parley / bare relay shows what Parley's own logic costs.
//
// It speaks just enough of Parley's wire format for the same load client to drive both:
//
//   {"type":"join","room":R,"name":N,...}  registers the connection under the id N in room R;
//                                          answered with {"type":"joined","id":N,"peers":[...]},
//                                          the others in R get {"type":"peer-joined",...}
//   {"type":"signal","to":X,...}           the frame is forwarded unchanged to the connection X
//
// There is no JSON parsing: the fields are found by scanning the bytes for `"name":"`, `"to":"`
// and so on, and a frame is relayed as it came. No validation, rate control, roles or metrics:
// everything Parley adds on top of the WebSocket layer (whose framing limits and per-connection
// outbox both share) is missing here on purpose.
//
// Usage: BenchEchoServer [--host 127.0.0.1] [--port 0] [--ping-interval 15]
// Prints `Echo listening on http://HOST:PORT` once it accepts connections.

import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import Synchronization
import WebSocketServer

struct Options {
    var host = "127.0.0.1"
    var port = 0
    var pingInterval = 15

    init(arguments: [String]) {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { Self.fail("\(flag) needs a value") }
            switch flag {
            case "--host": host = value
            case "--port": port = Self.number(value, flag)
            case "--ping-interval": pingInterval = Self.number(value, flag)
            default: Self.fail("unknown option \(flag)")
            }
        }
    }

    static func number(_ value: String, _ flag: String) -> Int {
        guard let number = Int(value) else { fail("\(flag): not a number") }
        return number
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(
            Data("BenchEchoServer: \(message)\nusage: BenchEchoServer [--host H] [--port P] [--ping-interval S]\n".utf8)
        )
        exit(2)
    }
}

/// Who is connected, under the id each chose, and who is in which room.
final class Relay: Sendable {
    private struct Member {
        let outbox: Outbox
        let room: String
    }

    private struct State {
        var members: [String: Member] = [:]
        var rooms: [String: [String]] = [:]
    }

    private let state = Mutex(State())

    /// Registers `id` in `room`; returns the ids of the others there and their outboxes.
    func join(id: String, room: String, outbox: Outbox) -> (peers: [String], others: [Outbox])? {
        state.withLock { state in
            guard state.members[id] == nil else { return nil }
            let peers = state.rooms[room, default: []]
            state.members[id] = Member(outbox: outbox, room: room)
            state.rooms[room, default: []].append(id)
            return (peers, peers.compactMap { state.members[$0]?.outbox })
        }
    }

    func outbox(of id: Substring) -> Outbox? {
        state.withLock { $0.members[String(id)]?.outbox }
    }

    /// Forgets `id`; returns the outboxes of those left in its room.
    func leave(id: String) -> [Outbox] {
        state.withLock { state in
            guard let member = state.members.removeValue(forKey: id) else { return [] }
            var ids = state.rooms[member.room, default: []]
            ids.removeAll { $0 == id }
            state.rooms[member.room] = ids.isEmpty ? nil : ids
            return ids.compactMap { state.members[$0]?.outbox }
        }
    }
}

struct BareRelayService: WebSocketService {
    let relay: Relay

    func open(request: HTTPRequestHead, remoteAddress: SocketAddress?, outbox: Outbox) -> WebSocketOpening<Session> {
        .accept(Session(relay: relay, outbox: outbox))
    }

    /// A connection: its id once it has joined.
    final class Session: WebSocketSession {
        let relay: Relay
        let outbox: Outbox
        var id: String?

        init(relay: Relay, outbox: Outbox) {
            self.relay = relay
            self.outbox = outbox
        }

        func received(_ message: WebSocketMessage) -> (@Sendable () async -> Void)? {
            guard case .text(let text) = message else { return nil }
            if let target = field(#""to":""#, in: text) {
                _ = relay.outbox(of: target)?.enqueue(ByteBuffer(string: text))
            } else if id == nil, field(#""type":""#, in: text) == "join",
                let name = field(#""name":""#, in: text), let room = field(#""room":""#, in: text),
                let (peers, others) = relay.join(id: String(name), room: String(room), outbox: outbox)
            {
                id = String(name)
                let list = peers.map { #"{"id":"\#($0)"}"# }.joined(separator: ",")
                _ = outbox.enqueue(ByteBuffer(string: #"{"type":"joined","id":"\#(name)","peers":[\#(list)]}"#))
                let joined = ByteBuffer(string: #"{"type":"peer-joined","peer":{"id":"\#(name)"}}"#)
                for other in others { _ = other.enqueue(joined) }
            }
            return nil
        }

        func closed() {
            guard let id else { return }
            let left = ByteBuffer(string: #"{"type":"peer-left","id":"\#(id)"}"#)
            for other in relay.leave(id: id) { _ = other.enqueue(left) }
        }
    }
}

/// The string value of the first `"key":"…"` in `text`, found by scanning bytes (no JSON
/// parsing, no unescaping: the load client sends plain ids).
func field(_ key: StaticString, in text: String) -> Substring? {
    let pattern = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
    let utf8 = text.utf8
    var start = utf8.startIndex
    while let first = utf8[start...].firstIndex(of: pattern[0]) {
        var index = first
        var matched = 0
        while matched < pattern.count, index < utf8.endIndex, utf8[index] == pattern[matched] {
            matched += 1
            index = utf8.index(after: index)
        }
        if matched == pattern.count {
            guard let end = utf8[index...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return Substring(text[index..<end])
        }
        start = utf8.index(after: first)
    }
    return nil
}

// As Parley does: one event loop per core the process may run on.
EventLoopSizing.matchSharedEventLoopsToAffinity()
let options = Options(arguments: CommandLine.arguments)
let relay = Relay()

// The same HTTP and WebSocket settings as Parley's server (Sources/ParleyServer/Application+build.swift).
let settings = WebSocketSettings(
    path: "/ws", maxMessageBytes: 1 << 20, pingInterval: .seconds(options.pingInterval), outboxMessageLimit: 512,
    outboxByteLimit: 1 << 20)
let app = Application(
    router: Router(),
    server: HTTPServerBuilder { responder in
        HTTPWebSocketChannel(
            responder: responder, http1: .init(idleTimeout: .seconds(30)), settings: settings,
            service: BareRelayService(relay: relay))
    },
    configuration: ApplicationConfiguration(
        address: .hostname(options.host, port: options.port), serverName: "BenchEchoServer"),
    onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        FileHandle.standardOutput.write(Data("Echo listening on http://\(options.host):\(port)\n".utf8))
    })
try await app.runService()
