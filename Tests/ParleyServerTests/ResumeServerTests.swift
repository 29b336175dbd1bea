import Foundation
import NIOCore
import NIOPosix
import ParleyServer
import ParleySignaling
import Testing

@Suite(.timeLimit(.minutes(1))) struct ResumeServerTests {
    /// Connects and joins `room` presenting `resume`; returns the socket and its `joined`.
    private func rejoin(_ server: TestServer, _ room: String, as name: String, resume: String) async throws -> (
        TestSocket, [String: Any]
    ) {
        let socket = try await server.connect()
        socket.send(["type": "join", "room": room, "name": name, "resume": resume])
        let joined = try await socket.next()
        guard joined["type"] as? String == "joined" else { throw TestFailure("expected joined, got \(joined)") }
        return (socket, joined)
    }

    /// The next message `socket` gets is the answer to a probe it sends now: nothing else
    /// (no peer-left) was waiting for it.
    private func expectNothingPending(on socket: TestSocket) async throws {
        socket.send(["type": "signal", "to": "probe", "data": [:]])
        let next = try await socket.next()
        #expect(next["code"] as? String == "unknown-peer", "got \(next) instead")
    }

    /// Closing the socket and joining again with the resume token within the window keeps
    /// the same id, says `resumed`, and the other participant sees nothing at all.
    @Test func resumeAfterClosingKeepsTheIDUnseen() async throws {
        try await withParley { server in
            let (ada, adaJoined) = try await server.join("sturdy", as: "Ada")
            let (bob, bobJoined) = try await server.join("sturdy", as: "Bob")
            _ = try await ada.next()  // peer-joined Bob
            let adaID = try #require(adaJoined["id"] as? String)
            let token = try #require(adaJoined["resume"] as? String)
            #expect(adaJoined["resumed"] as? Bool == false)
            #expect(token.count == 32)

            ada.send(["type": "hand", "raised": true])
            #expect(try await ada.next()["type"] as? String == "peer-hand")
            #expect(try await bob.next()["type"] as? String == "peer-hand")
            ada.close()
            _ = try await ada.closeCode()

            let (back, backJoined) = try await rejoin(server, "sturdy", as: "Ada", resume: token)
            #expect(backJoined["id"] as? String == adaID)
            #expect(backJoined["resumed"] as? Bool == true)
            #expect(backJoined["role"] as? String == "moderator")
            let newToken = try #require(backJoined["resume"] as? String)
            #expect(newToken != token)
            let peers = try #require(backJoined["peers"] as? [[String: Any]])
            #expect(peers.map { $0["id"] as? String } == [bobJoined["id"] as? String])

            try await expectNothingPending(on: bob)
            // The seat works on the new connection.
            bob.send(["type": "signal", "to": adaID, "data": ["candidate": NSNull()]])
            let signal = try await back.next()
            #expect(signal["type"] as? String == "signal")
            #expect(signal["from"] as? String == bobJoined["id"] as? String)

            // The old token was used up: presenting it again is a normal new join.
            let (_, stale) = try await rejoin(server, "sturdy", as: "Ada", resume: token)
            #expect(stale["resumed"] as? Bool == false)
            #expect(stale["id"] as? String != adaID)
        }
    }

    /// A client that stops answering pings is dropped like a closed socket: its seat is kept
    /// away, unseen, and a join with its token takes it back.
    @Test func missedPingsLeaveTheSeatForAResume() async throws {
        var configuration = ParleyConfiguration()
        configuration.pingInterval = .seconds(1)
        try await withParley(configuration) { server in
            let (bob, _) = try await server.join("pings", as: "Bob")
            let (joinedText, rest) = try await joinAndIgnorePings(port: server.port, room: "pings", name: "Silent")
            #expect(rest.contains("Ping timeout"))
            #expect(try await bob.next()["type"] as? String == "peer-joined")
            guard let first = try JSONSerialization.jsonObject(with: Data(joinedText.utf8)) as? [String: Any],
                let id = first["id"] as? String, let token = first["resume"] as? String
            else { throw TestFailure("no joined in \(joinedText.prefix(400))") }
            let (_, joined) = try await rejoin(server, "pings", as: "Silent", resume: token)
            #expect(joined["resumed"] as? Bool == true)
            #expect(joined["id"] as? String == id)
            try await expectNothingPending(on: bob)
        }
    }

    /// A raw WebSocket client that joins and then never answers a ping: returns the first
    /// text frame the server sent (`joined`) and, as text, everything after it until the server
    /// closed the connection.
    private func joinAndIgnorePings(port: Int, room: String, name: String) async throws -> (String, String) {
        let upgrade =
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        let payload = Array(#"{"type":"join","room":"\#(room)","name":"\#(name)"}"#.utf8)
        precondition(payload.count < 126)
        // A masked text frame (RFC 6455 section 5.2), as clients must send.
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        let frame =
            [0x81, 0x80 | UInt8(payload.count)] + mask
            + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bytes = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: Array(upgrade.utf8) + frame))
            var received: [UInt8] = []
            for try await chunk in inbound {
                received += chunk.readableBytesView
            }
            return received
        }
        // After the 101 response: the server's first frame, unmasked, is the `joined` text.
        let headerEnd = Array("\r\n\r\n".utf8)
        guard let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == headerEnd }),
            bytes.count > end + 6, bytes[end + 4] == 0x81
        else { throw TestFailure("no text frame after the upgrade") }
        var start = end + 6
        var length = Int(bytes[end + 5] & 0x7F)
        if length == 126 {
            length = Int(bytes[end + 6]) << 8 | Int(bytes[end + 7])
            start += 2
        }
        guard bytes.count >= start + length else { throw TestFailure("the first frame was cut short") }
        return (
            String(decoding: bytes[start..<(start + length)], as: UTF8.self),
            String(decoding: bytes[(start + length)...], as: UTF8.self)
        )
    }

    /// After the window has passed, the other participant got `peer-left`, and the token
    /// gives a new id, not resumed.
    @Test func resumeAfterTheWindowIsANewJoin() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.resumeWindow = .milliseconds(300)
        try await withParley(configuration) { server in
            let (ada, adaJoined) = try await server.join("brittle", as: "Ada")
            let (bob, _) = try await server.join("brittle", as: "Bob")
            _ = try await ada.next()  // peer-joined Bob
            let adaID = try #require(adaJoined["id"] as? String)
            let token = try #require(adaJoined["resume"] as? String)
            ada.close()

            let left = try await bob.next()
            #expect(left["type"] as? String == "peer-left")
            #expect(left["id"] as? String == adaID)
            // Bob was handed the moderator role when Ada's seat went.
            #expect(try await bob.next()["type"] as? String == "peer-role")

            let (_, again) = try await rejoin(server, "brittle", as: "Ada", resume: token)
            #expect(again["resumed"] as? Bool == false)
            #expect(again["id"] as? String != adaID)
            #expect(try await bob.next()["type"] as? String == "peer-joined")
        }
    }
}
