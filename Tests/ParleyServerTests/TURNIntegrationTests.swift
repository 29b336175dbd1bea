import Crypto
import Foundation
import ParleyServer
import Testing

@Suite(.timeLimit(.minutes(1))) struct TURNIntegrationTests {
    /// With the built-in TURN server on, every `joined` carries STUN and TURN URLs for it and
    /// REST credentials minted for that participant: username `expiry:peerid`, password
    /// base64(HMAC-SHA1(secret, username)).
    @Test func joinedCarriesMintedTURNCredentials() async throws {
        var configuration = ParleyConfiguration()
        configuration.turn.port = 0
        configuration.turn.secret = "turn-secret-0123456789"
        try await withParley(configuration) { server in
            // The TURN URLs appear once its ports are bound; join until they do.
            var servers: [[String: Any]] = []
            var joined: [String: Any] = [:]
            for attempt in 0..<50 where !servers.contains(where: { $0["username"] != nil }) {
                (_, joined) = try await server.join("turn-room-\(attempt)", as: "Ada")
                servers = joined["iceServers"] as? [[String: Any]] ?? []
                if !servers.contains(where: { $0["username"] != nil }) { try await Task.sleep(for: .milliseconds(100)) }
            }
            let turn = try #require(servers.first { $0["username"] != nil })
            let urls = try #require(turn["urls"] as? [String])
            #expect(urls.contains { $0.hasPrefix("turn:127.0.0.1:") && $0.hasSuffix("?transport=udp") })
            #expect(urls.contains { $0.hasSuffix("?transport=tcp") })
            #expect(servers.contains { ($0["urls"] as? [String])?.first?.hasPrefix("stun:127.0.0.1:") == true })

            let username = try #require(turn["username"] as? String)
            let parts = username.split(separator: ":")
            #expect(parts.count == 2 && parts[1] == (joined["id"] as? String ?? "")[...])
            let expiry = try #require(Double(parts[0]))
            #expect(expiry > Date().timeIntervalSince1970 + 3_600)
            let mac = HMAC<Insecure.SHA1>.authenticationCode(
                for: Data(username.utf8), using: SymmetricKey(data: Data("turn-secret-0123456789".utf8)))
            #expect(turn["credential"] as? String == Data(mac).base64EncodedString())
        }
    }

    /// With an external TURN server, its URLs are handed out with credentials from the shared secret.
    @Test func externalTURNGetsTheSameCredentials() async throws {
        var configuration = ParleyConfiguration()
        configuration.turn.mode = .external(["turn:turn.example.org:3478"])
        configuration.turn.port = 0
        configuration.turn.secret = "turn-secret-0123456789"
        try await withParley(configuration) { server in
            let (_, joined) = try await server.join("r", as: "Ada")
            let servers = try #require(joined["iceServers"] as? [[String: Any]])
            #expect(servers.count == 1)
            #expect(servers.first?["urls"] as? [String] == ["turn:turn.example.org:3478"])
            #expect((servers.first?["username"] as? String)?.hasSuffix(":\(joined["id"] as! String)") == true)
        }
    }
}
