import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ParleyServer
import ParleySignaling

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Self-hosted video calls: open a room link in a browser and talk.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Parley server: the web client, rooms and signalling.",
        discussion: """
            Open http://HOST:PORT in a browser, start or name a room, and share the room link. \
            Browsers allow camera and microphone only on https:// or on localhost, so to call \
            across a network put Parley behind an HTTPS reverse proxy.

            Stops gracefully on SIGTERM or SIGINT (Ctrl-C): connected clients are told the \
            server is going away.
            """)

    @Option(help: "Address to listen on. Use 0.0.0.0 to accept connections from other machines.")
    var host = "127.0.0.1"

    @Option(help: "TCP port for HTTP and WebSocket. 0 picks a free port and prints it.")
    var port = 8080

    @Option(
        name: .customLong("ice-server"),
        help: ArgumentHelp(
            "STUN or TURN server URL handed to browsers, e.g. stun:stun.example.org:3478 (repeatable).",
            discussion: "Empty by default, which is enough when everyone is on the same network."))
    var iceServers: [String] = []

    @Option(help: "Most participants in one room. Every participant sends its video to each other one.")
    var maxPeers = 8

    @Option(help: "Largest signalling message accepted, in bytes.")
    var maxMessageBytes = 65_536

    @Option(help: "Seconds a new connection has to join a room before it is closed.")
    var joinTimeout = 10

    @Option(help: "Seconds between WebSocket pings; a client that misses one is disconnected.")
    var pingInterval = 15

    @Option(help: "Serve the web client from this folder instead of the built-in copy (for client development).")
    var webRoot: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535, not \(port)") }
        guard maxPeers >= 2 else { throw ValidationError("--max-peers must be at least 2, not \(maxPeers)") }
        guard maxMessageBytes >= 4_096 else {
            throw ValidationError(
                "--max-message-bytes must be at least 4096 (an SDP offer is several KB), not \(maxMessageBytes)")
        }
        guard joinTimeout >= 1 else { throw ValidationError("--join-timeout must be at least 1 second") }
        guard pingInterval >= 1 else { throw ValidationError("--ping-interval must be at least 1 second") }
        for url in iceServers where !["stun:", "stuns:", "turn:", "turns:"].contains(where: url.hasPrefix) {
            throw ValidationError("--ice-server must start with stun:, stuns:, turn: or turns:, not '\(url)'")
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = ParleyConfiguration(
            host: host,
            port: port,
            signaling: SignalingConfiguration(
                maxPeersPerRoom: maxPeers,
                maxMessageBytes: maxMessageBytes,
                iceServers: iceServers.map { ICEServer(urls: [$0]) }),
            joinTimeout: .seconds(joinTimeout),
            pingInterval: .seconds(pingInterval),
            webRoot: webRoot)
        let host = self.host
        let app = buildApplication(configuration, logger: Logger(label: "parley")) { port in
            // One stable line on stdout, for people and for scripts that started us on port 0.
            let line = "Parley listening on http://\(host):\(port)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
