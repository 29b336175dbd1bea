import Foundation
import Logging
import ParleySignaling
import STUN
import ServiceLifecycle
import Synchronization
import TURN
import TURNServer

/// How Parley provides TURN relays to browsers.
public struct TURNSettings: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Parley's own STUN/TURN server.
        case builtIn
        /// An external TURN server (coturn with `use-auth-secret`) sharing `secret`, at these URLs.
        case external([String])
        /// No TURN: only the `ice-server` URLs configured, if any.
        case off
    }

    public var mode: Mode = .builtIn
    /// Address the built-in server listens on; nil: the HTTP `host`.
    public var host: String?
    /// STUN/TURN UDP and TCP port; 0 picks one.
    public var port: Int = 3478
    public var relayPorts: ClosedRange<UInt16> = 49152...65535
    /// The public address of a server behind 1:1 NAT, advertised to browsers.
    public var publicIP: String?
    /// The TURN REST shared secret; generated and kept in the database when not given.
    public var secret: String?
    /// Peers that may be relayed to despite the built-in denials (e.g. a LAN's own range).
    public var allowedPeers: [IPNetwork] = []
    /// Relay to private (RFC 1918, CGNAT, ULA) addresses.
    public var allowPrivatePeers = false
    /// How long minted credentials stay valid.
    public var credentialLifetime: Duration = .seconds(86_400)

    public init() {}
}

/// Mints TURN REST credentials for each participant and turns them into the `RTCIceServer`
/// entries of its `joined` message (docs/TURN.md). The URLs are known once the TURN server
/// has bound its ports.
final class TURNCredentialIssuer: Sendable {
    private let secret: String
    private let lifetime: Double
    private let urls = Mutex<(stun: [String], turn: [String])>(([], []))

    init(secret: String, lifetime: Duration) {
        self.secret = secret
        self.lifetime = Double(lifetime.components.seconds)
    }

    /// Publishes the server's address: STUN and TURN (UDP and TCP) URLs for it.
    func publish(host: String, port: Int) {
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        publish(
            stun: ["stun:\(authority)"], turn: ["turn:\(authority)?transport=udp", "turn:\(authority)?transport=tcp"])
    }

    func publish(stun: [String], turn: [String]) {
        urls.withLock { $0 = (stun, turn) }
    }

    /// The ICE servers for `peer`, with credentials valid from `now` for the lifetime.
    func iceServers(for peer: PeerID, now: Date) -> [ICEServer] {
        let (stun, turn) = urls.withLock { $0 }
        guard !turn.isEmpty else { return stun.isEmpty ? [] : [ICEServer(urls: stun)] }
        let minted = TURNCredentials.mint(
            secret: secret, peerID: peer.rawValue, now: UnixTime(seconds: now.timeIntervalSince1970), ttl: lifetime)
        return (stun.isEmpty ? [] : [ICEServer(urls: stun)])
            + [ICEServer(urls: turn, username: minted.username, credential: minted.password)]
    }
}

/// Waits for the built-in TURN server to bind, then publishes its URLs to the issuer and feeds
/// its counters to the metrics.
struct TURNPublisher: Service {
    let service: TURNServerService
    let issuer: TURNCredentialIssuer
    let advertisedHost: String?
    let metrics: ParleyMetrics
    let logger: Logger

    func run() async throws {
        let addresses = try await service.waitUntilStarted()
        let host = advertisedHost ?? "\(addresses.relayAddress)"
        issuer.publish(host: host, port: addresses.udpPort)
        logger.info("TURN server listening", metadata: ["port": "\(addresses.udpPort)", "advertised": "\(host)"])
        // Counters are pulled every few seconds rather than pushed per packet: the relay loop
        // stays free of metrics work.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            metrics.recordTURN(await service.statistics())
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
        }
    }
}
