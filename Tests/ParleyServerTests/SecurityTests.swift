import Foundation
import JWTKit
import NIOCore
import NIOPosix
import ParleyServer
import ParleySignaling
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite(.timeLimit(.minutes(1))) struct JoinTokenTests {
    private let secret = "0123456789abcdef0123456789abcdef"

    private func claims(room: String = "team", expires: Date = Date().addingTimeInterval(600)) -> JoinTokenClaims {
        JoinTokenClaims(room: room, name: "Ada", role: .moderator, expires: expires)
    }

    /// A token signed with the server's secret is accepted, with its room, name and role.
    @Test func validTokenIsAccepted() async throws {
        let authority = await JoinTokenAuthority(secret: secret)
        let token = try await authority.sign(claims())
        #expect(
            await authority.check(token)
                == .valid(JoinToken(room: RoomName("team")!, name: DisplayName("Ada")!, role: .moderator)))
    }

    /// Wrong key, expired, `alg: none`, tampered claims and garbage are all refused.
    @Test func badTokensAreRefused() async throws {
        let authority = await JoinTokenAuthority(secret: secret)
        let otherKey = await JoinTokenAuthority(secret: "another-secret-another-secret-0000")
        let wrongKey = try await otherKey.sign(claims())
        let expired = try await authority.sign(claims(expires: Date().addingTimeInterval(-60)))

        let good = try await authority.sign(claims())
        let parts = good.split(separator: ".").map(String.init)
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let algNone = base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
        let exp = Int(Date().addingTimeInterval(600).timeIntervalSince1970)
        let tamperedClaims = base64URL(#"{"room":"team","name":"Mallory","role":"moderator","exp":\#(exp)}"#)
        let tampered = parts[0] + "." + tamperedClaims + "." + parts[2]

        for (label, token) in [
            ("wrong key", wrongKey), ("expired", expired), ("alg none", algNone), ("tampered", tampered),
            ("garbage", "not.a.token"), ("empty", ""),
        ] {
            guard case .invalid = await authority.check(token) else {
                Issue.record("\(label) token was accepted")
                continue
            }
        }
        #expect(await authority.check(expired) == .invalid("it has expired"))
    }

    /// Over the wire: a server that requires tokens admits a valid one (name and role from the
    /// token) and refuses a missing one and one for another room.
    @Test func serverRequiringTokens() async throws {
        var configuration = ParleyConfiguration(tokenSecret: secret)
        configuration.signaling.requireToken = true
        let authority = await JoinTokenAuthority(secret: secret)
        let good = try await authority.sign(claims())
        let elsewhere = try await authority.sign(claims(room: "elsewhere"))
        try await withParley(configuration) { server in
            let socket = try await server.connect()
            socket.send(["type": "join", "room": "team", "name": "Eve"])
            #expect(try await socket.next()["code"] as? String == "token-required")
            socket.send(["type": "join", "room": "team", "token": elsewhere])
            #expect(try await socket.next()["code"] as? String == "invalid-token")
            socket.send(["type": "join", "room": "team", "token": good])
            let joined = try await socket.next()
            #expect(joined["type"] as? String == "joined")
            #expect(joined["name"] as? String == "Ada")
            #expect(joined["role"] as? String == "moderator")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct PasswordAndPersistenceTests {
    /// A moderator sets a password; it is required, a wrong one is refused, the right one
    /// admits, and after a restart on the same database the room still has it.
    @Test func passwordSurvivesRestart() async throws {
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: database) }
        var configuration = ParleyConfiguration(databasePath: database)
        configuration.limits.wrongPasswordDelay = .milliseconds(10)
        try await withParley(configuration) { server in
            let (moderator, joined) = try await server.join("vault", as: "Ada")
            #expect(joined["role"] as? String == "moderator")
            moderator.send(["type": "set-password", "password": "open sesame"])
            let state = try await moderator.next()
            #expect(state["type"] as? String == "room-state")
            #expect(state["hasPassword"] as? Bool == true)
        }
        try await withParley(configuration) { server in
            let socket = try await server.connect()
            socket.send(["type": "join", "room": "vault", "name": "Bob"])
            #expect(try await socket.next()["code"] as? String == "password-required")
            socket.send(["type": "join", "room": "vault", "name": "Bob", "password": "guess"])
            #expect(try await socket.next()["code"] as? String == "wrong-password")
            socket.send(["type": "join", "room": "vault", "name": "Bob", "password": "open sesame"])
            let joined = try await socket.next()
            #expect(joined["type"] as? String == "joined")
            #expect(joined["hasPassword"] as? Bool == true)
        }
    }

    /// Wrong passwords from one address are limited: after the burst, even the right one is
    /// refused with too-many-attempts, so guessing cannot go fast.
    @Test func wrongPasswordsAreRateLimited() async throws {
        var configuration = ParleyConfiguration()
        configuration.limits.wrongPasswordDelay = .milliseconds(1)
        configuration.limits.failedPasswordBurst = 3
        try await withParley(configuration) { server in
            let (moderator, _) = try await server.join("vault", as: "Ada")
            moderator.send(["type": "set-password", "password": "open sesame"])
            _ = try await moderator.next()
            let guesser = try await server.connect()
            for _ in 0..<3 {
                guesser.send(["type": "join", "room": "vault", "name": "Eve", "password": "guess"])
                #expect(try await guesser.next()["code"] as? String == "wrong-password")
            }
            guesser.send(["type": "join", "room": "vault", "name": "Eve", "password": "open sesame"])
            #expect(try await guesser.next()["code"] as? String == "too-many-attempts")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct HardeningTests {
    /// A page from another origin is refused with `origin-not-allowed` (closed 1008) before
    /// it can join; pages of the server's own origin and allow-listed ones are served (they
    /// are closed only by the short join deadline here, with `join-timeout`).
    @Test func foreignOriginsAreRefused() async throws {
        var configuration = ParleyConfiguration()
        configuration.allowedOrigins = ["https://partner.example"]
        configuration.joinTimeout = .milliseconds(300)
        try await withParley(configuration) { server async throws in
            func handshake(origin: String) async throws -> String {
                let request =
                    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: \(origin)\r\n\r\n"
                // Server frames are not masked: their text can be read off the wire as is.
                return try await rawExchange(port: server.port, send: request, untilClosed: true)
            }
            let refused = try await handshake(origin: "https://evil.example")
            #expect(refused.hasPrefix("HTTP/1.1 101") && refused.contains("origin-not-allowed"))
            for origin in ["http://127.0.0.1:\(server.port)", "https://partner.example"] {
                let served = try await handshake(origin: origin)
                #expect(served.contains("join-timeout") && !served.contains("origin-not-allowed"), "\(origin)")
            }
        }
    }

    /// A client over its message rate gets one rate-limited error, then is closed if it keeps
    /// on; another client in the same room is unaffected.
    @Test func flooderIsThrottledThenClosed() async throws {
        var configuration = ParleyConfiguration()
        configuration.limits.messageBurst = 20
        configuration.limits.messagesPerSecond = 5
        configuration.limits.maxDroppedMessages = 50
        try await withParley(configuration) { server in
            let (flooder, _) = try await server.join("r", as: "Flood")
            let (calm, calmJoined) = try await server.join("r", as: "Calm")
            _ = try await flooder.next()  // peer-joined
            for _ in 0..<200 {
                flooder.send(["type": "media", "audio": true, "video": true])
            }
            var codes: [String] = []
            while true {
                switch try await flooder.nextEvent() {
                case .text(let text):
                    if text.contains(#""type":"error""#) {
                        codes.append(text.contains("rate-limited") ? "rate-limited" : text)
                    }
                    continue
                case .closed(let code):
                    #expect(code == 1008)
                }
                break
            }
            #expect(codes.last == "rate-limited")
            // The calm one got the flooder's accepted messages, then peer-left (and became
            // moderator), and still works: its probe is answered.
            calm.send(["type": "signal", "to": calmJoined["id"] as! String, "data": [:]])
            var seen: [String] = []
            while seen.last != "error" {
                let message = try await calm.next()
                seen.append(message["type"] as? String ?? "")
                if seen.last == "error" { #expect(message["code"] as? String == "unknown-peer") }
            }
            #expect(seen.contains("peer-left"))
        }
    }

    /// One address may hold only so many connections; the next is told why and closed.
    @Test func connectionsPerAddressAreLimited() async throws {
        var configuration = ParleyConfiguration()
        configuration.limits.maxConnectionsPerAddress = 2
        try await withParley(configuration) { server in
            // The handshake completes before the server registers a connection; an answered
            // message proves it is registered.
            func connectAndWait() async throws -> TestSocket {
                let socket = try await server.connect()
                socket.send(["type": "leave"])
                #expect(try await socket.next()["code"] as? String == "not-joined")
                return socket
            }
            let first = try await connectAndWait()
            _ = try await connectAndWait()
            let third = try await server.connect()
            #expect(try await third.next()["code"] as? String == "too-many-connections")
            #expect(try await third.closeCode() == 1008)
            first.close()
            #expect(try await first.closeCode() != nil)
        }
    }

    /// A peer that stops answering pings is dropped, and its room is told it left.
    @Test func deadPeersAreDropped() async throws {
        var configuration = ParleyConfiguration()
        configuration.pingInterval = .milliseconds(300)
        configuration.joinTimeout = .seconds(60)
        try await withParley(configuration) { server async throws in
            let request =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            // A raw client that never answers a ping: the exchange ends when the server gives up.
            let exchange = try await rawExchange(port: server.port, send: request, untilClosed: true)
            #expect(exchange.hasPrefix("HTTP/1.1 101") && exchange.contains("Ping timeout"))
        }
    }

    /// Joins from one address are limited; past the burst they are refused.
    @Test func joinsPerAddressAreLimited() async throws {
        var configuration = ParleyConfiguration()
        configuration.limits.joinBurst = 3
        configuration.limits.joinsPerSecond = 0.01
        try await withParley(configuration) { server in
            for index in 0..<3 {
                _ = try await server.join("room\(index)", as: "Ada")
            }
            let fourth = try await server.connect()
            fourth.send(["type": "join", "room": "room9", "name": "Ada"])
            #expect(try await fourth.next()["code"] as? String == "too-many-attempts")
        }
    }

    /// A client that opens a connection and sends headers too slowly is disconnected.
    @Test func slowHeadersAreCutOff() async throws {
        var configuration = ParleyConfiguration()
        configuration.httpIdleTimeout = .seconds(1)
        try await withParley(configuration) { server in
            // Never finish the headers: the server must close the connection by itself, which
            // ends the exchange (the suite's time limit would catch a server that does not).
            let answer = try await rawExchange(port: server.port, send: "GET / HTTP/1.1\r\nHost: x\r\n")
            #expect(answer.isEmpty)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct AdminAPITests {
    private let adminToken = "admin-token-0123456789"

    private func call(_ server: TestServer, _ method: String, _ path: String, token: String?, body: String? = nil)
        async throws -> (Int, String)
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// List, create, kick and close through the API; wrong or missing tokens get 401.
    @Test func listCreateKickClose() async throws {
        try await withParley(ParleyConfiguration(adminToken: adminToken)) { server in
            #expect(try await call(server, "GET", "/api/admin/rooms", token: nil).0 == 401)
            #expect(try await call(server, "GET", "/api/admin/rooms", token: "wrong-token-0123456789").0 == 401)

            #expect(
                try await call(server, "POST", "/api/admin/rooms", token: adminToken, body: #"{"name":"board"}"#).0
                    == 201)
            #expect(
                try await call(server, "POST", "/api/admin/rooms", token: adminToken, body: #"{"name":"board"}"#).0
                    == 409)
            #expect(
                try await call(server, "POST", "/api/admin/rooms", token: adminToken, body: #"{"name":"no good"}"#).0
                    == 400)

            let (ada, _) = try await server.join("board", as: "Ada")
            let (bob, bobJoined) = try await server.join("board", as: "Bob")
            _ = try await ada.next()
            let (status, listing) = try await call(server, "GET", "/api/admin/rooms", token: adminToken)
            #expect(status == 200)
            let rooms = try #require(
                (try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any])?["rooms"]
                    as? [[String: Any]])
            let board = try #require(rooms.first { $0["name"] as? String == "board" })
            #expect(
                (board["participants"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Ada", "Bob"])

            let bobID = try #require(bobJoined["id"] as? String)
            #expect(
                try await call(server, "DELETE", "/api/admin/rooms/board/participants/\(bobID)", token: adminToken).0
                    == 204)
            #expect(try await bob.next()["code"] as? String == "kicked")
            #expect(try await bob.closeCode() == 4001)
            #expect(try await ada.next()["type"] as? String == "peer-left")

            #expect(try await call(server, "DELETE", "/api/admin/rooms/board", token: adminToken).0 == 204)
            #expect(try await ada.next()["code"] as? String == "room-ended")
            #expect(try await ada.closeCode() == 4002)
            #expect(try await call(server, "DELETE", "/api/admin/rooms/board", token: adminToken).0 == 404)
        }
    }

    /// Without an admin token configured, the API does not exist.
    @Test func apiIsOffWithoutToken() async throws {
        try await withParley { server async throws in
            #expect(try await call(server, "GET", "/api/admin/rooms", token: adminToken).0 == 404)
        }
    }
}

/// Sends `text` on a plain TCP connection and returns what comes back until the server closes
/// the connection, or (unless `untilClosed`) has sent a complete response head.
func rawExchange(port: Int, send text: String, untilClosed: Bool = false) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: text))
        var received = ""
        for try await chunk in inbound {
            received += String(decoding: chunk.readableBytesView, as: UTF8.self)
            if !untilClosed && received.contains("\r\n\r\n") { break }
        }
        return received
    }
}
