import ICE
import Logging
import MediaCrypto
import MediaEngine
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SDP
import STUN
import ServiceLifecycle
import TransportAddressNIO

/// The media engine's IO shell as a `Service`: one UDP socket for all media (STUN, DTLS, SRTP
/// and SRTCP told apart by first byte, RFC 7983), feeding the pure ``EchoSession``s.
///
/// Sessions are made by ``startEchoSession(offer:)`` (the `/echo` endpoint) and end when the
/// browser stops checking (consent, RFC 7675), on ``endEchoSession(id:)``, or at shutdown.
/// `run()` returns after graceful shutdown, having closed the socket and every session.
public final class MediaServerService: Service, Sendable {
    public let configuration: MediaServerConfiguration
    /// The DTLS certificate of every session this process answers (RFC 8827 section 6.5: the
    /// fingerprint in the answer is what the browser checks, so one per process is enough).
    public let certificate: DTLSCertificate
    private let fingerprint: SDP.Fingerprint
    private let logger: Logger
    private let eventLoop: any EventLoop
    private let table: EchoSessionTable
    private let started: EventLoopPromise<Int>
    /// The candidates put in answers; known once the socket is bound.
    private let candidates = NIOLockedValueBox<[Candidate]>([])

    /// How often session timers (consent, DTLS retransmission, setup deadline) are checked
    /// while there are sessions: fine enough for DTLS retransmission, which starts at 1 s.
    static let timerInterval = TimeAmount.milliseconds(20)

    public init(
        configuration: MediaServerConfiguration, logger: Logger = Logger(label: "parley.media"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.certificate = try DTLSCertificate.generate()
        // The certificate's own text, parsed once for every answer.
        self.fingerprint = try SDP.Fingerprint(parsing: "sha-256 \(certificate.fingerprintSHA256)")
        self.eventLoop = eventLoopGroup.next()
        self.table = EchoSessionTable(eventLoop: eventLoop, timerInterval: Self.timerInterval, logger: logger)
        self.started = eventLoop.makePromise()
    }

    /// Waits until the socket is bound and returns its port (tests use port 0).
    public func waitUntilStarted() async throws -> Int {
        try await started.futureResult.get()
    }

    public func statistics() async -> MediaStatistics {
        (try? await eventLoop.submit { [table] in table.statistics }.get()) ?? MediaStatistics()
    }

    public func run() async throws {
        let channel: any Channel
        do {
            channel = try await bind()
            let port = channel.localAddress?.port ?? configuration.port
            let addresses = try Self.advertisedAddresses(configuration: configuration)
            candidates.withLockedValue { value in
                value = addresses.enumerated().map { index, address in
                    // Earlier addresses first: the first is also the answer's default (c=, m= port).
                    Candidate.udpHost(
                        address: address, port: UInt16(port), foundation: String(index + 1),
                        localPreference: UInt16(65535 - index))
                }
            }
            try await eventLoop.submit { [table] in table.attach(channel) }.get()
            logger.info(
                "media engine listening",
                metadata: ["port": "\(port)", "candidates": "\(addresses.joined(separator: ","))"])
            started.succeed(port)
        } catch {
            started.fail(error)
            throw error
        }
        // Returns on graceful shutdown; throws on cancellation. Either way, stop.
        try? await gracefulShutdown()
        try await eventLoop.submit { [table] in table.closeAll() }.get()
        try? await channel.close()
        logger.info("media engine stopped")
    }

    private func bind() async throws -> any Channel {
        let table = table
        return try await DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.datagramVectorReadMessageCount, value: configuration.datagramsPerRead)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(
                .recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048 * configuration.datagramsPerRead)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MediaDatagramHandler(table: table))
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
    }

    // MARK: Echo sessions

    /// Answers a browser's offer with a new echo session; the answer's SDP text and the
    /// session's id (for ``endEchoSession(id:)``).
    public func startEchoSession(offer text: String) async throws(EchoRequestError) -> (id: String, answer: String) {
        let offer: SessionDescription
        do { offer = try SessionDescription(parsing: text) } catch { throw .badOffer("\(error)") }
        let candidates = candidates.withLockedValue { $0 }
        guard !candidates.isEmpty else { throw .notRunning }

        var random = SystemRandomNumberGenerator()
        let local = ICECredentials(
            ufrag: Self.iceCharacters(count: 8, using: &random), password: Self.iceCharacters(count: 24, using: &random)
        )
        var options = AnswerOptions(
            iceUsernameFragment: local.ufrag, icePassword: local.password,
            fingerprint: fingerprint,
            candidates: candidates, sessionID: random.next() >> 1, sessionVersion: 1)
        var used: Set<UInt32> = []
        func freshSSRC() -> UInt32 {
            while true {
                let ssrc = UInt32.random(in: 1...UInt32.max, using: &random)
                if used.insert(ssrc).inserted { return ssrc }
            }
        }
        for case let mid? in offer.media.map(\.mid) {
            options.outgoing[mid] = OutgoingStream(ssrc: freshSSRC(), rtxSSRC: freshSSRC())
        }
        let answer: EchoAnswer
        do { answer = try EchoAnswer(offer: offer, options: options) } catch { throw .unanswerable("\(error)") }
        guard answer.negotiated.media.contains(where: { $0.outgoing != nil }) else {
            throw .unanswerable("no audio or video section could be echoed (Opus, VP8 or H.264 over UDP/TLS/RTP/SAVPF)")
        }

        let id = Self.hex(count: 16, using: &random)
        let certificate = certificate
        let limit = configuration.maximumEchoSessions
        let negotiated = answer.negotiated
        let outcome: Result<Void, EchoRequestError>
        do {
            outcome = try await eventLoop.submit { [table] () -> Result<Void, EchoRequestError> in
                guard table.count < limit else { return .failure(.full(limit: limit)) }
                do {
                    let session = try EchoSession(
                        negotiated: negotiated, local: local, certificate: certificate, now: .now)
                    table.add(session, id: id, ufrag: local.ufrag)
                    return .success(())
                } catch {
                    return .failure(.unanswerable("\(error)"))
                }
            }.get()
        } catch {
            throw .notRunning
        }
        try outcome.get()
        return (id, answer.answer.serialized())
    }

    /// Ends an echo session; false if there is none with this id (any more).
    public func endEchoSession(id: String) async -> Bool {
        (try? await eventLoop.submit { [table] in table.close(id: id) }.get()) ?? false
    }

    // MARK: Helpers

    /// `--public-ip` if set, else the configured addresses, else the bound address, else (for a
    /// wildcard bind) every non-loopback interface address of that family, else loopback.
    static func advertisedAddresses(configuration: MediaServerConfiguration) throws -> [String] {
        if let publicIP = configuration.publicIP { return [publicIP] + configuration.advertisedAddresses }
        if !configuration.advertisedAddresses.isEmpty { return configuration.advertisedAddresses }
        guard let bound = IPAddress(configuration.host) else { throw MediaServerError.badAddress(configuration.host) }
        guard bound == .v4(0) || bound == .v6(high: 0, low: 0) else { return [configuration.host] }
        var found: [String] = []
        for device in (try? System.enumerateDevices()) ?? [] {
            guard let address = device.address.flatMap(TransportAddress.init), address.ip.isIPv4 == bound.isIPv4,
                !Self.isLoopbackOrLinkLocal(address.ip)
            else { continue }
            let text = "\(address.ip)"
            if !found.contains(text) { found.append(text) }
        }
        return found.isEmpty ? [bound.isIPv4 ? "127.0.0.1" : "::1"] : found
    }

    /// 127/8, 169.254/16, ::1 and fe80::/10: addresses no browser elsewhere can reach.
    static func isLoopbackOrLinkLocal(_ ip: IPAddress) -> Bool {
        switch ip {
        case .v4(let value): value >> 24 == 127 || value >> 16 == 0xA9FE
        case .v6(let high, let low): (high == 0 && low == 1) || high >> 54 == 0x3FA
        }
    }

    /// ICE ufrag and password characters (RFC 8839 section 5.4 ice-char, without + and /,
    /// which some clients mishandle).
    static func iceCharacters(count: Int, using random: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
    }

    static func hex(count: Int, using random: inout some RandomNumberGenerator) -> String {
        (0..<count).map { _ in
            let byte = UInt8.random(in: 0...255, using: &random)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }
}

/// Why an offer got no echo session; each says what to do about it.
public enum EchoRequestError: Error, Hashable, CustomStringConvertible {
    /// The offer is not valid SDP (the text names the line and why).
    case badOffer(String)
    /// Valid SDP, but nothing in it can be echoed, or its transport cannot work with Parley.
    case unanswerable(String)
    /// As many sessions as configured are running.
    case full(limit: Int)
    /// The media engine is not running (yet, or any more).
    case notRunning

    public var description: String {
        switch self {
        case .badOffer(let reason): "The offer is not valid SDP: \(reason)"
        case .unanswerable(let reason): "The offer cannot be answered: \(reason)"
        case .full(let limit): "The server is running its limit of \(limit) echo sessions; try again later."
        case .notRunning: "The media engine is not running."
        }
    }
}

/// Why the media service could not start.
public enum MediaServerError: Error, CustomStringConvertible {
    case badAddress(String)

    public var description: String {
        switch self {
        case .badAddress(let text): "not an IP address: \(text)"
        }
    }
}

/// Hands every datagram of the media socket to the session table; flushes once per read burst.
final class MediaDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let table: EchoSessionTable

    init(table: EchoSessionTable) { self.table = table }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        table.datagramReceived(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        table.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram socket reports ICMP errors (a browser gone) here; the socket stays usable.
    }
}
