import ArgumentParser
import Foundation
import Logging
import ParleyServer
import ParleySignaling
import WebSocketServer

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Self-hosted video calls: open a room link in a browser and talk.",
        subcommands: [Serve.self, Config.self, Token.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Parley server: the web client, rooms and signalling.",
        discussion: """
            Open http://HOST:PORT in a browser, start or name a room, and share the room link. \
            Browsers allow camera and microphone only on https:// or on localhost, so to call \
            across a network put Parley behind an HTTPS reverse proxy.

            Every option can also be set by an environment variable (PARLEY_ and the option's \
            name in capitals with _, e.g. PARLEY_MAX_PEERS=4) or in a JSON config file \
            (--config). Flags win over the environment, which wins over the file.

            SIGTERM or SIGINT starts a graceful drain: no new joins, clients are told, calls may \
            go on for --drain-timeout seconds; a second signal exits at once.
            """)

    @OptionGroup var options: ServerOptions

    func run() async throws {
        EventLoopSizing.matchSharedEventLoopsToAffinity()
        let configuration = try options.resolve()
        bootstrapLogging(configuration)
        let host = configuration.host
        let scheme = configuration.tls.isOn ? "https" : "http"
        let mediaHost = configuration.media.host
        try await runParley(
            configuration, logger: Logger(label: "parley"),
            onServerRunning: { port in
                // One stable line on stdout, for people and for scripts that started us on port 0.
                FileHandle.standardOutput.write(Data("Parley listening on \(scheme)://\(host):\(port)\n".utf8))
            },
            onMediaRunning: { port in
                FileHandle.standardOutput.write(Data("Parley media on udp://\(mediaHost):\(port)\n".utf8))
            })
    }

    private func bootstrapLogging(_ configuration: ParleyConfiguration) {
        let level = configuration.logLevel
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            return handler
        }
    }
}

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the effective configuration (flags, environment, config file, defaults), secrets redacted.")

    @OptionGroup var options: ServerOptions

    func run() throws {
        let configuration = try options.resolve()
        let rows = configuration.describedSettings()
        let width = rows.map(\.name.count).max() ?? 0
        for row in rows {
            print(row.name.padding(toLength: width, withPad: " ", startingAt: 0), " ", row.value)
        }
    }
}

/// The server's options. All optional here: a flag left out falls back to the environment,
/// the config file, then the default, which the help text states.
struct ServerOptions: ParsableArguments {
    @Option(help: "JSON config file whose keys are these option names (env: PARLEY_CONFIG).")
    var config: String?

    @Option(help: "Address to listen on; 0.0.0.0 for every interface. (default: 127.0.0.1)")
    var host: String?

    @Option(help: "TCP port for HTTP and WebSocket; 0 picks a free port and prints it. (default: 8080)")
    var port: String?

    @Option(
        name: .customLong("ice-server"),
        help: ArgumentHelp(
            "STUN or TURN server URL handed to browsers, e.g. stun:stun.example.org:3478 (repeatable).",
            discussion: "Empty by default, which is enough when everyone is on the same network."))
    var iceServers: [String] = []

    @Option(help: "Most participants in one room; each sends its video to every other one. (default: 8)")
    var maxPeers: String?

    @Option(help: "Largest signalling message accepted, in bytes. (default: 65536)")
    var maxMessageBytes: String?

    @Option(help: "Longest chat message, in characters. (default: 2000)")
    var maxChatChars: String?

    @Option(help: "Most recent chat messages a newcomer to a room is shown. (default: 50)")
    var chatHistory: String?

    @Option(help: "Hours chat is kept in the database; 0 relays chat without storing it. (default: 24)")
    var chatRetention: String?

    @Option(help: "Seconds a new connection has to join a room before it is closed. (default: 10)")
    var joinTimeout: String?

    @Option(
        help:
            "Seconds a participant whose connection dropped keeps its seat for a reconnect; 0 turns it off. (default: 30)"
    )
    var resumeWindow: String?

    @Option(help: "Seconds between WebSocket pings; a client that misses one is disconnected. (default: 15)")
    var pingInterval: String?

    @Option(help: "Seconds calls may go on after SIGTERM before the server exits. (default: 30)")
    var drainTimeout: String?

    @Option(
        help: ArgumentHelp(
            "SQLite database for rooms, chat and generated secrets; created if missing. (default: parley.sqlite)",
            discussion: "A relative path is in the working directory; :memory: keeps nothing."))
    var database: String?

    @Flag(help: "Admit only people with a valid join token (see `parley token`).")
    var requireToken = false

    @Option(help: "HS256 secret for join tokens, 32+ bytes. (default: generated once, kept in the database)")
    var tokenSecret: String?

    @Flag(help: "Admit people only to rooms created beforehand through the admin API.")
    var precreatedRoomsOnly = false

    @Option(help: "Bearer token for the admin API at /api/admin, 16+ characters. (default: the API is off)")
    var adminToken: String?

    @Option(
        name: .customLong("allowed-origin"),
        help: "Another origin (https://host[:port]) whose pages may open /ws; repeatable. (default: own origin only)")
    var allowedOrigins: [String] = []

    @Option(help: "Most WebSocket connections from one IP address; 0 for no limit. (default: 100)")
    var maxConnectionsPerIp: String?

    @Option(help: "Messages one connection may send per second, after a burst of 100. (default: 50)")
    var messagesPerSecond: String?

    @Option(help: "Joins one IP address may make per minute. (default: 60)")
    var joinsPerMinute: String?

    @Option(help: "Seconds before an idle HTTP connection, or one slow to send its request, is closed. (default: 30)")
    var httpIdleTimeout: String?

    @Option(help: "Run the built-in STUN/TURN server: on or off. (default: on)")
    var turn: String?

    @Option(help: "UDP and TCP port of the built-in STUN/TURN server; 0 picks one. (default: 3478)")
    var turnPort: String?

    @Option(help: "Address the STUN/TURN server listens on. (default: --host)")
    var turnHost: String?

    @Option(help: "UDP ports for TURN relays, as FROM-TO. (default: 49152-65535)")
    var turnRelayPorts: String?

    @Option(
        help: ArgumentHelp(
            "The server's public IP when it sits behind 1:1 NAT (a cloud VM), advertised for TURN.",
            discussion:
                "E.g. on a VM whose interface has 10.0.0.5 but is reached at 203.0.113.7: --public-ip 203.0.113.7"))
    var publicIp: String?

    @Option(help: "TURN REST shared secret, 16+ bytes. (default: generated once, kept in the database)")
    var turnSecret: String?

    @Option(
        name: .customLong("turn-external"),
        help:
            "Use an external TURN server (coturn with use-auth-secret and the same --turn-secret) at this URL instead; repeatable."
    )
    var turnExternal: [String] = []

    @Option(
        name: .customLong("turn-allow-peer"),
        help: "An address or network TURN may relay to despite the built-in denials (e.g. 192.168.1.0/24); repeatable.")
    var turnAllowPeers: [String] = []

    @Flag(help: "Let TURN relay to private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).")
    var turnAllowPrivate = false

    @Option(help: "Run the media engine (its UDP port and the /echo test service): on or off. (default: on)")
    var media: String?

    @Option(help: "UDP port for all media of the media engine; 0 picks one. (default: 7882)")
    var mediaPort: String?

    @Option(help: "Address the media engine's UDP port binds. (default: 0.0.0.0, every interface)")
    var mediaHost: String?

    @Option(help: "Most echo sessions (/echo) at once. (default: 32)")
    var echoSessions: String?

    @Option(help: "HTTPS: the certificate chain, a PEM file (e.g. Let's Encrypt's fullchain.pem); with --tls-key.")
    var tlsCert: String?

    @Option(help: "HTTPS: the certificate's private key, a PEM file (e.g. privkey.pem); with --tls-cert.")
    var tlsKey: String?

    @Flag(
        help: ArgumentHelp(
            "HTTPS with a self-signed certificate, for a LAN without a certificate of its own.",
            discussion:
                "Browsers ask once to accept it: it is kept next to the database (parley-cert.pem, parley-key.pem)."))
    var tlsSelfSigned = false

    @Option(help: "Serve the web client from this folder instead of the built-in copy (client development).")
    var webRoot: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String?

    @Option(help: "Log format: text, or json for one JSON object per line. (default: text)")
    var logFormat: String?

    /// The configuration from flags, environment, config file and defaults, in that order.
    func resolve() throws -> ParleyConfiguration {
        let flags: [String: [String]] = [
            "host": host.map { [$0] } ?? [],
            "port": port.map { [$0] } ?? [],
            "ice-server": iceServers,
            "max-peers": maxPeers.map { [$0] } ?? [],
            "max-message-bytes": maxMessageBytes.map { [$0] } ?? [],
            "max-chat-chars": maxChatChars.map { [$0] } ?? [],
            "chat-history": chatHistory.map { [$0] } ?? [],
            "chat-retention": chatRetention.map { [$0] } ?? [],
            "join-timeout": joinTimeout.map { [$0] } ?? [],
            "resume-window": resumeWindow.map { [$0] } ?? [],
            "ping-interval": pingInterval.map { [$0] } ?? [],
            "drain-timeout": drainTimeout.map { [$0] } ?? [],
            "database": database.map { [$0] } ?? [],
            "require-token": requireToken ? ["true"] : [],
            "token-secret": tokenSecret.map { [$0] } ?? [],
            "precreated-rooms-only": precreatedRoomsOnly ? ["true"] : [],
            "admin-token": adminToken.map { [$0] } ?? [],
            "allowed-origin": allowedOrigins,
            "max-connections-per-ip": maxConnectionsPerIp.map { [$0] } ?? [],
            "messages-per-second": messagesPerSecond.map { [$0] } ?? [],
            "joins-per-minute": joinsPerMinute.map { [$0] } ?? [],
            "http-idle-timeout": httpIdleTimeout.map { [$0] } ?? [],
            "turn": turn.map { [$0] } ?? [],
            "turn-port": turnPort.map { [$0] } ?? [],
            "turn-host": turnHost.map { [$0] } ?? [],
            "turn-relay-ports": turnRelayPorts.map { [$0] } ?? [],
            "public-ip": publicIp.map { [$0] } ?? [],
            "turn-secret": turnSecret.map { [$0] } ?? [],
            "turn-external": turnExternal,
            "turn-allow-peer": turnAllowPeers,
            "turn-allow-private": turnAllowPrivate ? ["true"] : [],
            "media": media.map { [$0] } ?? [],
            "media-port": mediaPort.map { [$0] } ?? [],
            "media-host": mediaHost.map { [$0] } ?? [],
            "echo-sessions": echoSessions.map { [$0] } ?? [],
            "tls-cert": tlsCert.map { [$0] } ?? [],
            "tls-key": tlsKey.map { [$0] } ?? [],
            "tls-self-signed": tlsSelfSigned ? ["true"] : [],
            "web-root": webRoot.map { [$0] } ?? [],
            "log-level": logLevel.map { [$0] } ?? [],
            "log-format": logFormat.map { [$0] } ?? [],
        ]
        let environment = ProcessInfo.processInfo.environment
        do {
            return try ParleyConfiguration.resolve(
                flags: flags, environment: environment, configFile: config ?? environment["PARLEY_CONFIG"],
                defaults: ["database": [ParleyConfiguration.defaultDatabaseFile]])
        } catch {
            throw ValidationError(error.description)
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a join link with a signed join token, for embedding Parley in another site.",
        discussion: """
            The token is signed with the server's token secret: --token-secret (or \
            PARLEY_TOKEN_SECRET, or the config file), else the secret the server generated and \
            keeps in its --database.
            """)

    @Option(help: "The room the token admits to.")
    var room: String

    @Option(help: "The name the person appears under.")
    var name: String

    @Option(help: "moderator, participant or viewer.")
    var role: String = "participant"

    @Option(help: "How long the token is valid: e.g. 90s, 30m, 1h, 7d.")
    var ttl: String = "1h"

    @Option(help: "The server's address as people reach it.")
    var baseURL: String = "http://localhost:8080"

    @OptionGroup var options: ServerOptions

    func run() async throws {
        guard let room = RoomName(room) else { throw ValidationError("--room: not a valid room name") }
        guard let name = DisplayName(name) else { throw ValidationError("--name: 1–64 characters") }
        guard let role = Role(rawValue: role) else { throw ValidationError("--role: moderator, participant or viewer") }
        guard let lifetime = Self.seconds(ttl), lifetime > 0 else {
            throw ValidationError("--ttl: e.g. 90s, 30m, 1h, 7d")
        }
        let configuration = try options.resolve()
        guard configuration.tokenSecret != nil || configuration.databasePath != nil else {
            throw ValidationError("give the server's --token-secret, or its --database where the secret is kept")
        }
        let token = try await mintJoinToken(
            configuration, room: room, name: name, role: role, expires: Date().addingTimeInterval(lifetime))
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        print("\(base)/r/\(room.rawValue)?token=\(token)")
    }

    private static func seconds(_ text: String) -> TimeInterval? {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let value = Double(text.dropLast()) { return value * unit }
        return Double(text)
    }
}
