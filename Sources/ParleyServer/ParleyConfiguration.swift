import Logging
import ParleySignaling

/// Everything that can be configured about a Parley server, as one value.
///
/// `parley serve` builds it from the command line; tests build it directly (usually with
/// port 0). Nothing in the server reads settings from anywhere else.
public struct ParleyConfiguration: Sendable {
    /// Address to listen on. The default keeps a fresh install private to this machine.
    public var host: String
    /// TCP port for HTTP and WebSocket; 0 picks a free one (tests).
    public var port: Int
    /// Room size, message size and ICE servers: the signalling rules.
    public var signaling: SignalingConfiguration
    /// How long a new connection may take to send `join`.
    public var joinTimeout: Duration
    /// How often the server pings each WebSocket; a client that has not answered one ping by
    /// the next is dropped, so dead peers vanish from rooms within two intervals.
    public var pingInterval: Duration
    /// Messages queued for one client before it counts as too slow and is dropped.
    public var outboxMessageLimit: Int
    /// Bytes queued for one client before it counts as too slow and is dropped.
    public var outboxByteLimit: Int
    /// Serve the web client from this folder instead of the copy built into the binary
    /// (for working on the client without rebuilding the server).
    public var webRoot: String?
    /// On SIGTERM, how long calls may go on before the server exits anyway.
    public var drainTimeout: Duration
    /// Least severe log level written.
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Per-connection and per-address rate and count limits.
    public var limits: AbuseLimits
    /// The SQLite database file for rooms, chat and secrets; nil keeps everything in memory
    /// (tests do). `parley serve` defaults to ``defaultDatabaseFile``.
    public var databasePath: String?
    /// The `database` setting's value for "keep nothing": an in-memory database.
    public static let inMemoryDatabase = ":memory:"
    /// Where `parley serve` keeps its database unless told otherwise: in its working directory.
    public static let defaultDatabaseFile = "parley.sqlite"
    /// HS256 secret for join tokens. Generated and stored in the database if not given.
    public var tokenSecret: String?
    /// Bearer token for the admin API (`/api/admin`); the API is off without one.
    public var adminToken: String?
    /// Origins (scheme://host[:port]) allowed to open `/ws` besides the server's own.
    public var allowedOrigins: [String]
    /// Idle HTTP connections (including ones slow to send their headers) are closed after this.
    public var httpIdleTimeout: Duration
    /// log2 of scrypt's cost for new room-password hashes. Tests lower it: debug builds of
    /// scrypt are many times slower than release ones.
    public var passwordHashCost: Int = PasswordHasher.defaultLogRounds
    /// The STUN/TURN relay browsers get in `joined.iceServers`.
    public var turn = TURNSettings()
    /// The media engine's UDP port and its echo service.
    public var media = MediaSettings()
    /// HTTPS and WSS served by Parley itself; plain HTTP unless set.
    public var tls = TLSSettings()

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        signaling: SignalingConfiguration = SignalingConfiguration(),
        joinTimeout: Duration = .seconds(10),
        pingInterval: Duration = .seconds(15),
        outboxMessageLimit: Int = 512,
        outboxByteLimit: Int = 1 << 20,
        webRoot: String? = nil,
        drainTimeout: Duration = .seconds(30),
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text,
        limits: AbuseLimits = AbuseLimits(),
        databasePath: String? = nil,
        tokenSecret: String? = nil,
        adminToken: String? = nil,
        allowedOrigins: [String] = [],
        httpIdleTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.signaling = signaling
        self.joinTimeout = joinTimeout
        self.pingInterval = pingInterval
        self.outboxMessageLimit = outboxMessageLimit
        self.outboxByteLimit = outboxByteLimit
        self.webRoot = webRoot
        self.drainTimeout = drainTimeout
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.limits = limits
        self.databasePath = databasePath
        self.tokenSecret = tokenSecret
        self.adminToken = adminToken
        self.allowedOrigins = allowedOrigins
        self.httpIdleTimeout = httpIdleTimeout
    }

    /// The largest WebSocket message the framing layer accepts at all. Messages between
    /// `signaling.maxMessageBytes` and this get a `message-too-large` error and the connection
    /// lives on; above it the connection is closed (1009) without reading the rest.
    var frameHardLimit: Int { max(1 << 20, signaling.maxMessageBytes) }
}

/// Parley's own HTTPS, as configured: a certificate and key from files (`tls-cert`,
/// `tls-key`), or a self-signed certificate for a LAN (`tls-self-signed`).
public struct TLSSettings: Sendable, Hashable {
    public var certificateFile: String?
    public var privateKeyFile: String?
    public var selfSigned = false

    public init() {}

    /// Whether the server speaks HTTPS (and WSS) rather than plain HTTP.
    public var isOn: Bool { mode(keepingSelfSignedIn: nil) != nil }

    /// Why these settings do not go together, or nil when they do.
    var conflict: String? {
        if selfSigned && (certificateFile != nil || privateKeyFile != nil) {
            return "tls-self-signed and tls-cert/tls-key exclude each other: give one or the other"
        }
        if (certificateFile == nil) != (privateKeyFile == nil) {
            return "tls-cert and tls-key go together: give both, or neither"
        }
        return nil
    }

    /// What to serve HTTPS with, or nil for plain HTTP. A self-signed certificate is kept in
    /// `folder` (next to the database), so that browsers ask to accept it once, not at every
    /// start; without a folder (an in-memory database) it is made anew each time.
    public func mode(keepingSelfSignedIn folder: String?) -> TLSMode? {
        if let certificateFile, let privateKeyFile {
            return .files(certificate: certificateFile, privateKey: privateKeyFile)
        }
        return selfSigned ? .selfSigned(folder: folder) : nil
    }
}
