import DatagramSocket
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
import Synchronization
import TransportAddressNIO

/// The media engine's IO shell as a `Service`: one UDP socket for all media (STUN, DTLS, SRTP
/// and SRTCP told apart by first byte, RFC 7983), feeding the pure ``EchoSession``s.
///
/// One thread of its own reads the socket in batches (``DatagramReceiver``) and runs each batch,
/// and the session timers when due, under the session table's mutex; what the sessions send
/// leaves in one `sendmmsg` per batch. The endpoints take the same mutex to add, end or count
/// sessions.
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
    /// Set once the socket is bound; nil before and after `run()`.
    private let table = LockedSessionTable()
    private let stopping = Atomic<Bool>(false)
    /// Fulfilled with the bound port once the socket is bound (a promise of NIO's, as TURN's is).
    private let started: EventLoopPromise<Int>
    /// The candidates put in answers; known once the socket is bound.
    private let candidates = NIOLockedValueBox<[Candidate]>([])

    /// How often session timers (consent, DTLS retransmission, setup deadline) are checked
    /// while there are sessions: fine enough for DTLS retransmission, which starts at 1 s.
    static let timerInterval = Duration.milliseconds(20)
    /// How long the receiving thread sleeps with no sessions (and so how late a new session's
    /// first timer check can be); stopping wakes it at once.
    static let idleWait = Duration.milliseconds(250)
    /// The largest datagram the media port reads: more than any RTP packet under a 1,500-byte MTU.
    static let datagramCapacity = 2048

    public init(configuration: MediaServerConfiguration, logger: Logger = Logger(label: "parley.media")) throws {
        self.configuration = configuration
        self.logger = logger
        self.certificate = try DTLSCertificate.generate()
        // The certificate's own text, parsed once for every answer.
        self.fingerprint = try SDP.Fingerprint(parsing: "sha-256 \(certificate.fingerprintSHA256)")
        self.started = MultiThreadedEventLoopGroup.singleton.next().makePromise()
    }

    /// Waits until the socket is bound and returns its port (tests use port 0).
    public func waitUntilStarted() async throws -> Int {
        try await started.futureResult.get()
    }

    public func statistics() async -> MediaStatistics {
        table.withLock { $0?.statistics } ?? MediaStatistics()
    }

    public func run() async throws {
        let socket: DatagramSocket
        do {
            guard let host = IPAddress(configuration.host) else {
                throw MediaServerError.badAddress(configuration.host)
            }
            guard let port = UInt16(exactly: configuration.port) else {
                throw MediaServerError.badPort(configuration.port)
            }
            socket = try DatagramSocket(host: host, port: port, reuseAddress: true)
            let receiveBuffer = socket.requestReceiveBuffer(bytes: configuration.receiveBufferBytes)
            let addresses = try Self.advertisedAddresses(configuration: configuration)
            let boundPort = socket.localAddress.port
            candidates.withLockedValue { value in
                value = addresses.enumerated().map { index, address in
                    // Earlier addresses first: the first is also the answer's default (c=, m= port).
                    Candidate.udpHost(
                        address: address, port: boundPort, foundation: String(index + 1),
                        localPreference: UInt16(65535 - index))
                }
            }
            let sender = DatagramSender(
                batchSize: 2 * configuration.datagramsPerRead,
                datagramCapacity: Self.datagramCapacity + EchoSessionTable.trailerRoom)
            table.replace(with: EchoSessionTable(socket: socket, sender: sender, logger: logger))
            logger.info(
                "media engine listening",
                metadata: [
                    "port": "\(boundPort)", "candidates": "\(addresses.joined(separator: ","))",
                    "receiveBuffer": "\(receiveBuffer)",
                ])
        } catch {
            started.fail(error)
            throw error
        }
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        stopping.store(false, ordering: .relaxed)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                try await thread.runIfActive {
                    self.receiveLoop(
                        socket,
                        DatagramReceiver(
                            batchSize: self.configuration.datagramsPerRead, datagramCapacity: Self.datagramCapacity))
                }
            }
            started.succeed(Int(socket.localAddress.port))
            // Returns on graceful shutdown; throws on cancellation. Either way, stop.
            try? await gracefulShutdown()
            stopping.store(true, ordering: .relaxed)
            socket.wakeReader()
            try await group.waitForAll()
        }
        try? await thread.shutdownGracefully()
        // Sessions end with a DTLS close_notify, which still leaves by the socket.
        table.withLock { $0?.closeAll() }
        table.replace(with: nil)
        socket.close()
        logger.info("media engine stopped")
    }

    /// The receiving thread: reads batches until `stopping`, running each batch, and the
    /// session timers when due, under the table's mutex.
    private func receiveLoop(_ socket: DatagramSocket, _ receiver: DatagramReceiver) {
        var waitsForSessions = true
        socket.setReceiveTimeout(Self.idleWait)
        var lastTimerCheck = ContinuousClock.now
        while !stopping.load(ordering: .relaxed) {
            let count: Int
            do { count = try receiver.receive(from: socket) } catch {
                logger.error("media port unreadable; media stopped", metadata: ["error": "\(error)"])
                return
            }
            let now = ContinuousClock.now
            let timersDue = now - lastTimerCheck >= Self.timerInterval
            if timersDue { lastTimerCheck = now }
            let hasSessions = table.withLock { table -> Bool in
                guard let table else { return false }
                for index in 0..<count { table.datagramReceived(index, of: receiver, now: now) }
                if timersDue { table.timerFired(now: now) }
                table.flush()
                return !table.isEmpty
            }
            // Timers need a wakeup at least every interval while there are sessions; an idle
            // port wakes only to see whether it should stop.
            if hasSessions == waitsForSessions {
                waitsForSessions = !hasSessions
                socket.setReceiveTimeout(hasSessions ? Self.timerInterval : Self.idleWait)
            }
        }
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
        let limit = configuration.maximumEchoSessions
        let negotiated = answer.negotiated
        let session: EchoSession
        do {
            session = try EchoSession(negotiated: negotiated, local: local, certificate: certificate, now: .now)
        } catch {
            throw .unanswerable("\(error)")
        }
        let outcome: Result<Void, EchoRequestError> = table.withLock { table in
            guard let table else { return .failure(.notRunning) }
            guard table.count < limit else { return .failure(.full(limit: limit)) }
            table.add(session, id: id, ufrag: local.ufrag)
            return .success(())
        }
        try outcome.get()
        return (id, answer.answer.serialized())
    }

    /// Ends an echo session; false if there is none with this id (any more).
    public func endEchoSession(id: String) async -> Bool {
        table.withLock { $0?.close(id: id) } ?? false
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

/// The session table behind a lock: the receiving thread and the endpoints' tasks all reach the
/// table through ``withLock(_:)`` only, which is what makes the unchecked `Sendable` sound.
private final class LockedSessionTable: @unchecked Sendable {
    private let lock = NIOLock()
    private var table: EchoSessionTable?

    func withLock<Result>(_ body: (EchoSessionTable?) -> Result) -> Result {
        lock.withLock { body(table) }
    }

    func replace(with table: EchoSessionTable?) {
        lock.withLock { self.table = table }
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
    case badPort(Int)

    public var description: String {
        switch self {
        case .badAddress(let text): "not an IP address: \(text)"
        case .badPort(let port): "not a UDP port (0-65535): \(port)"
        }
    }
}
