import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import ParleyServer
import ParleySignaling
import Testing

@Suite(.timeLimit(.minutes(1))) struct SignalingServerTests {
    /// Three people join one room: each learns the others, and a signal reaches only its target.
    @Test func threePeersJoinAndSignalsReachOnlyTheirTarget() async throws {
        try await withParley { server in
            let (ada, adaJoined) = try await server.join("standup", as: "Ada")
            #expect((adaJoined["peers"] as? [Any])?.isEmpty == true)
            let adaID = try #require(adaJoined["id"] as? String)

            let (bob, bobJoined) = try await server.join("standup", as: "Bob")
            let bobID = try #require(bobJoined["id"] as? String)
            #expect((bobJoined["peers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Ada"])
            let bobArrived = try await ada.next()
            #expect(bobArrived["type"] as? String == "peer-joined")
            #expect((bobArrived["peer"] as? [String: Any])?["id"] as? String == bobID)

            let (cy, cyJoined) = try await server.join("standup", as: "Cy")
            let cyID = try #require(cyJoined["id"] as? String)
            #expect((cyJoined["peers"] as? [[String: Any]])?.map { $0["id"] as? String } == [adaID, bobID])
            #expect(try await ada.next()["type"] as? String == "peer-joined")
            #expect(try await bob.next()["type"] as? String == "peer-joined")

            cy.send(["type": "signal", "to": bobID, "data": ["description": ["type": "offer", "sdp": "v=0\r\n"]]])
            let relayed = try await bob.next()
            #expect(relayed["type"] as? String == "signal")
            #expect(relayed["from"] as? String == cyID)
            #expect(
                ((relayed["data"] as? [String: Any])?["description"] as? [String: Any])?["sdp"] as? String == "v=0\r\n")

            // Ada must not have received it: the next thing she gets is the answer to her own probe.
            ada.send(["type": "signal", "to": "nobody", "data": [:]])
            #expect(try await ada.next()["code"] as? String == "unknown-peer")
        }
    }

    /// Closing the socket (with resuming off), or sending leave, makes the others see peer-left.
    @Test func peerLeftOnCloseAndOnLeave() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.resumeWindow = .zero
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("r", as: "Ada")
            let (bob, bobJoined) = try await server.join("r", as: "Bob")
            let (cy, cyJoined) = try await server.join("r", as: "Cy")
            _ = try await ada.next()  // peer-joined Bob
            _ = try await ada.next()  // peer-joined Cy
            _ = try await bob.next()  // peer-joined Cy

            bob.close()
            let bobLeft = try await ada.next()
            #expect(bobLeft["type"] as? String == "peer-left")
            #expect(bobLeft["id"] as? String == bobJoined["id"] as? String)
            #expect(try await cy.next()["id"] as? String == bobJoined["id"] as? String)

            cy.send(["type": "leave"])
            #expect(try await cy.closeCode() == 1000)
            let cyLeft = try await ada.next()
            #expect(cyLeft["type"] as? String == "peer-left")
            #expect(cyLeft["id"] as? String == cyJoined["id"] as? String)
        }
    }

    /// A client whose socket just closes, with no close frame (a crashed tab, a lost
    /// network), is gone too: the server does not keep its half-closed connection open.
    @Test func aSocketClosedWithoutACloseFrameLeaves() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.resumeWindow = .zero
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("r", as: "Ada")
            let upgrade =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            let payload = Array(#"{"type":"join","room":"r","name":"Bob"}"#.utf8)
            let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            let frame =
                [0x81, 0x80 | UInt8(payload.count)] + mask
                + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            // Joins, waits for `joined`, then closes the socket.
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: Array(upgrade.utf8) + frame))
                var received = ""
                for try await chunk in inbound {
                    received += String(buffer: chunk)
                    if received.contains(#""type":"joined""#) { return }
                }
            }
            #expect(try await ada.next()["type"] as? String == "peer-joined")
            let left = try await ada.next()
            #expect(left["type"] as? String == "peer-left")
        }
    }

    /// Two rooms at once: nothing said in one reaches the other, even when aimed at its ids.
    @Test func anotherRoomReceivesNothing() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.resumeWindow = .zero
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("red", as: "Ada")
            let (bob, bobJoined) = try await server.join("red", as: "Bob")
            let (eve, eveJoined) = try await server.join("blue", as: "Eve")
            let bobID = try #require(bobJoined["id"] as? String)
            let eveID = try #require(eveJoined["id"] as? String)
            _ = try await ada.next()  // peer-joined Bob

            ada.send(["type": "media", "audio": false, "video": true])
            #expect(try await bob.next()["type"] as? String == "peer-media")
            ada.send(["type": "signal", "to": bobID, "data": ["candidate": NSNull()]])
            #expect(try await bob.next()["type"] as? String == "signal")
            ada.send(["type": "signal", "to": eveID, "data": ["candidate": NSNull()]])
            #expect(try await ada.next()["code"] as? String == "unknown-peer")
            bob.close()
            #expect(try await ada.next()["type"] as? String == "peer-left")

            // Everything above has been handled; Eve's first message is the reply to her probe.
            eve.send(["type": "hello"])
            let first = try await eve.next()
            #expect(first["code"] as? String == "unknown-type")
        }
    }

    /// Malformed, unknown, oversized and binary messages get their error code, and the same
    /// connection goes on working.
    @Test func badMessagesGetErrorsAndTheConnectionSurvives() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.maxMessageBytes = 8_192
        try await withParley(configuration) { server in
            let socket = try await server.connect()
            let cases: [(String, String)] = [
                ("{", "invalid-json"),
                ("[]", "invalid-json"),
                (#"{"type":"dance"}"#, "unknown-type"),
                (#"{"type":"join","room":"r"}"#, "invalid-message"),
                (#"{"type":"join","room":"../etc","name":"A"}"#, "invalid-room"),
                (#"{"type":"join","room":"r","name":"\u0007"}"#, "invalid-name"),
                (#"{"type":"signal","to":"x","data":{}}"#, "not-joined"),
                (
                    #"{"type":"join","room":"r","name":"A","pad":""# + String(repeating: "x", count: 10_000) + #""}"#,
                    "message-too-large"
                ),
                (String(repeating: "[", count: 3_000) + String(repeating: "]", count: 3_000), "invalid-json"),
            ]
            for (text, code) in cases {
                socket.sendText(text)
                let error = try await socket.next()
                #expect(error["type"] as? String == "error")
                #expect(error["code"] as? String == code, "for \(text.prefix(60))")
                #expect((error["message"] as? String)?.isEmpty == false)
            }
            socket.sendFrame(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [1, 2, 3])))
            #expect(try await socket.next()["code"] as? String == "binary-not-supported")

            socket.send(["type": "join", "room": "r", "name": "Ada"])
            #expect(try await socket.next()["type"] as? String == "joined")
            socket.send(["type": "join", "room": "r", "name": "Ada"])
            #expect(try await socket.next()["code"] as? String == "already-joined")

            // The server still serves everyone else.
            let (other, _) = try await server.join("r", as: "Bob")
            other.send(["type": "media", "audio": true, "video": false])
            #expect(try await socket.next()["type"] as? String == "peer-joined")
            #expect(try await socket.next()["type"] as? String == "peer-media")
        }
    }

    /// Text that is not UTF-8 closes the connection with 1007.
    @Test func invalidUTF8ClosesWith1007() async throws {
        try await withParley { server in
            let socket = try await server.connect()
            socket.sendFrame(
                WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0x7B, 0xFF, 0xFE, 0x7D])))
            #expect(try await socket.closeCode() == 1007)
        }
    }

    /// A message beyond the framing layer's hard limit closes the connection with 1009.
    @Test func hugeMessageClosesWith1009() async throws {
        try await withParley { server in
            let socket = try await server.connect()
            socket.sendText(String(repeating: "x", count: 2 << 20))
            #expect(try await socket.closeCode() == 1009)
        }
    }

    /// A connection that does not join in time is told so and closed with 1008.
    @Test func joinDeadlineClosesWith1008() async throws {
        var configuration = ParleyConfiguration()
        configuration.joinTimeout = .milliseconds(300)
        try await withParley(configuration) { server in
            let socket = try await server.connect()
            #expect(try await socket.next()["code"] as? String == "join-timeout")
            #expect(try await socket.closeCode() == 1008)
        }
    }

    /// Every connection gets its own deadline, counted from when it opened, and one that
    /// joined in time is not closed by it.
    @Test func joinDeadlinesAreEachConnectionsOwn() async throws {
        var configuration = ParleyConfiguration()
        configuration.joinTimeout = .seconds(1)
        try await withParley(configuration) { server in
            let first = try await server.connect()
            let (joined, _) = try await server.join("deadlines", as: "Ada")
            try await Task.sleep(for: .milliseconds(500))
            let second = try await server.connect()
            #expect(try await first.next()["code"] as? String == "join-timeout")
            #expect(try await first.closeCode() == 1008)
            // The second connection opened 500 ms later; its deadline has not passed yet, so
            // a join now is still in time.
            second.sendText(#"{"type":"join","room":"deadlines","name":"Bob"}"#)
            #expect(try await second.next()["type"] as? String == "joined")
            #expect(try await joined.next()["type"] as? String == "peer-joined")
            try await Task.sleep(for: .milliseconds(1_100))
            // Both are still in the call after every deadline has passed.
            second.sendText(#"{"type":"hand","raised":true}"#)
            #expect(try await joined.next()["type"] as? String == "peer-hand")
        }
    }

    /// A full room refuses the next person with room-full, and the person can try elsewhere.
    @Test func fullRoomRefuses() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.maxPeersPerRoom = 2
        try await withParley(configuration) { server in
            _ = try await server.join("small", as: "Ada")
            _ = try await server.join("small", as: "Bob")
            let cy = try await server.connect()
            cy.send(["type": "join", "room": "small", "name": "Cy"])
            let refused = try await cy.next()
            #expect(refused["code"] as? String == "room-full")
            #expect((refused["message"] as? String)?.contains("2") == true)
            cy.send(["type": "join", "room": "other", "name": "Cy"])
            #expect(try await cy.next()["type"] as? String == "joined")
        }
    }

    /// Configured ICE servers are handed to every client in joined.
    @Test func joinedCarriesConfiguredIceServers() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.iceServers = [ICEServer(urls: ["stun:stun.example.org:3478"])]
        try await withParley(configuration) { server in
            let (_, joined) = try await server.join("r", as: "Ada")
            let servers = try #require(joined["iceServers"] as? [[String: Any]])
            #expect(servers.first?["urls"] as? [String] == ["stun:stun.example.org:3478"])
            #expect(joined["protocol"] as? Int == 1)
        }
    }

    /// Shutting the server down closes every signalling connection.
    @Test func shutdownClosesConnections() async throws {
        let code = try await withParley { server in
            let (socket, _) = try await server.join("r", as: "Ada")
            await server.group.triggerGracefulShutdown()
            return try await socket.closeCode()
        }
        #expect(code == 1001 || code == 1000)
    }
}

@Suite(.timeLimit(.minutes(1))) struct WebClientServingTests {
    /// The web client is served from the binary itself, with the right content types.
    @Test func servesTheEmbeddedClient() async throws {
        try await withParley { server in
            let home = try await server.get("/")
            #expect(home.status == 200)
            #expect(home.contentType?.hasPrefix("text/html") == true)
            let room = try await server.get("/r/daily-standup")
            #expect(room.status == 200)
            #expect(room.body.contains("<html") || room.body.contains("<!doctype") || room.body.contains("<!DOCTYPE"))
            let library = try await server.get("/protocol.js")
            #expect(library.status == 200)
            #expect(library.contentType?.hasPrefix("text/javascript") == true)
            #expect(library.body.contains("export"))
        }
    }

    /// Invalid room names and unknown files are 404s.
    @Test func refusesBadPaths() async throws {
        try await withParley { server async throws in
            #expect(try await server.get("/r/not%20valid").status == 404)
            #expect(try await server.get("/nothing-here.js").status == 404)
            #expect(try await server.get("/..%2FPackage.swift").status == 404)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct OperationsEndpointTests {
    /// /healthz and /readyz answer while the server runs normally.
    @Test func healthAndReadiness() async throws {
        try await withParley { server async throws in
            #expect(try await server.get("/healthz").status == 200)
            #expect(try await server.get("/readyz").status == 200)
        }
    }

    /// After a scripted call, /metrics shows rooms, participants, messages by type, errors by
    /// code and rejected joins, all prefixed parley_.
    @Test func metricsAfterAScriptedCall() async throws {
        var configuration = ParleyConfiguration()
        configuration.signaling.maxPeersPerRoom = 2
        try await withParley(configuration) { server in
            let (ada, _) = try await server.join("metrics-room", as: "Ada")
            let (bob, bobJoined) = try await server.join("metrics-room", as: "Bob")
            _ = try await ada.next()
            ada.send(["type": "signal", "to": bobJoined["id"] as! String, "data": ["candidate": NSNull()]])
            _ = try await bob.next()
            let cy = try await server.connect()
            cy.send(["type": "join", "room": "metrics-room", "name": "Cy"])
            #expect(try await cy.next()["code"] as? String == "room-full")

            let metrics = try await server.get("/metrics")
            #expect(metrics.status == 200)
            let lines = Set(metrics.body.split(separator: "\n").map(String.init))
            #expect(lines.contains("parley_rooms 1.0"))
            #expect(lines.contains("parley_participants 2.0"))
            #expect(lines.contains("parley_connections 3.0"))
            #expect(lines.contains(#"parley_messages_received_total{type="join"} 3"#))
            #expect(lines.contains(#"parley_messages_received_total{type="signal"} 1"#))
            #expect(lines.contains(#"parley_messages_sent_total{type="signal"} 1"#))
            #expect(lines.contains(#"parley_errors_total{code="room-full"} 1"#))
            #expect(lines.contains(#"parley_joins_rejected_total{reason="room-full"} 1"#))
            #expect(lines.contains { $0.hasPrefix("parley_process_resident_memory_bytes ") })
            #expect(
                lines.filter { !$0.hasPrefix("#") && !$0.isEmpty }.allSatisfy { $0.hasPrefix("parley_") })
        }
    }
}
