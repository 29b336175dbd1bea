// The baseline of the signalling capacity benchmark (bench/README.md): a bare WebSocket relay
// on the same stack as Parley (Hummingbird 2, hummingbird-websocket, the same WebSocket
// server configuration), so that Parley / bare relay shows what Parley's own logic costs.
//
// It speaks just enough of Parley's wire format for the same load client to drive both:
//
//   {"type":"join","room":R,"name":N,...}  registers the connection under the id N in room R;
//                                          answered with {"type":"joined","id":N,"peers":[...]},
//                                          the others in R get {"type":"peer-joined",...}
//   {"type":"signal","to":X,...}           the frame is forwarded unchanged to the connection X
//
// There is no JSON parsing: the fields are found by scanning the bytes for `"name":"`, `"to":"`
// and so on, and a frame is relayed as it came. No validation, limits, rate control, queues
// or metrics: everything Parley adds on top of the stack is missing here on purpose.
//
// Usage: BenchEchoServer [--host 127.0.0.1] [--port 0] [--ping-interval 15]
// Prints `Echo listening on http://HOST:PORT` once it accepts connections.

import Foundation
import Hummingbird
import HummingbirdWebSocket
import Synchronization

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
        let writer: WebSocketOutboundWriter
        let room: String
    }

    private struct State {
        var members: [String: Member] = [:]
        var rooms: [String: [String]] = [:]
    }

    private let state = Mutex(State())

    /// Registers `id` in `room`; returns the writers of the others there and their ids.
    func join(
        id: String, room: String, writer: WebSocketOutboundWriter
    ) -> (peers: [String], others: [WebSocketOutboundWriter])? {
        state.withLock { state in
            guard state.members[id] == nil else { return nil }
            let peers = state.rooms[room, default: []]
            state.members[id] = Member(writer: writer, room: room)
            state.rooms[room, default: []].append(id)
            return (peers, peers.compactMap { state.members[$0]?.writer })
        }
    }

    func writer(of id: Substring) -> WebSocketOutboundWriter? {
        state.withLock { $0.members[String(id)]?.writer }
    }

    /// Forgets `id`; returns the writers of those left in its room.
    func leave(id: String) -> [WebSocketOutboundWriter] {
        state.withLock { state in
            guard let member = state.members.removeValue(forKey: id) else { return [] }
            var ids = state.rooms[member.room, default: []]
            ids.removeAll { $0 == id }
            state.rooms[member.room] = ids.isEmpty ? nil : ids
            return ids.compactMap { state.members[$0]?.writer }
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

let options = Options(arguments: CommandLine.arguments)
let relay = Relay()

let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
webSocketRouter.ws("/ws") { inbound, outbound, _ in
    var id: String?
    defer {
        if let id {
            let left = #"{"type":"peer-left","id":"\#(id)"}"#
            let others = relay.leave(id: id)
            Task {
                for writer in others { try? await writer.write(.text(left)) }
            }
        }
    }
    for try await message in inbound.messages(maxSize: 1 << 20) {
        guard case .text(let text) = message else { continue }
        if let target = field(#""to":""#, in: text) {
            try? await relay.writer(of: target)?.write(.text(text))
        } else if id == nil, field(#""type":""#, in: text) == "join",
            let name = field(#""name":""#, in: text), let room = field(#""room":""#, in: text),
            let (peers, others) = relay.join(id: String(name), room: String(room), writer: outbound)
        {
            id = String(name)
            let list = peers.map { #"{"id":"\#($0)"}"# }.joined(separator: ",")
            try await outbound.write(.text(#"{"type":"joined","id":"\#(name)","peers":[\#(list)]}"#))
            let joined = #"{"type":"peer-joined","peer":{"id":"\#(name)"}}"#
            for writer in others { try? await writer.write(.text(joined)) }
        }
    }
}

// The same HTTP and WebSocket settings as Parley's server (Sources/ParleyServer/Application+build.swift).
let app = Application(
    router: Router(),
    server: .http1WebSocketUpgrade(
        webSocketRouter: webSocketRouter,
        configuration: .init(
            http1: .init(idleTimeout: .seconds(30)),
            ws: WebSocketServerConfiguration(
                maxFrameSize: 1 << 20,
                autoPing: .enabled(timePeriod: .seconds(Int64(options.pingInterval))),
                closeTimeout: .seconds(5),
                validateUTF8: true))),
    configuration: ApplicationConfiguration(
        address: .hostname(options.host, port: options.port), serverName: "BenchEchoServer"),
    onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        FileHandle.standardOutput.write(Data("Echo listening on http://\(options.host):\(port)\n".utf8))
    })
try await app.runService()
