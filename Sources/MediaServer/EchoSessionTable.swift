import ICE
import Logging
import MediaEngine
import NIOCore
import STUN
import TransportAddressNIO

/// Every echo session of the media port, and which session each datagram belongs to.
///
/// Lives on the media socket's event loop: every entry point runs there
/// (`eventLoop.preconditionInEventLoop()`), which is why the unchecked `Sendable` is sound.
/// A STUN datagram is routed by the server ufrag in its USERNAME; anything else by its source
/// address, which a session's ICE agent must have authenticated first.
final class EchoSessionTable: @unchecked Sendable {
    private struct Route {
        let id: String
        let session: EchoSession
    }

    private struct Entry {
        let session: EchoSession
        let ufrag: String
        var addresses: Set<TransportAddress> = []
    }

    let eventLoop: any EventLoop
    private let logger: Logger
    /// More than SRTP's largest authentication tag plus SRTCP's index.
    static let trailerRoom = 32
    private var entries: [String: Entry] = [:]
    private var sessionByUfrag: [String: String] = [:]
    /// A browser address's session, once its ICE agent authenticated the address.
    private var routeByAddress: [TransportAddress: Route] = [:]
    /// Arrays that carried echoed packets, kept for the next datagrams: video packets are
    /// larger than what malloc serves from its fast per-thread cache.
    private var packetArrays: [[UInt8]] = []
    static let pooledPacketArrays = 64
    static let packetArrayCapacity = 2048 + trailerRoom
    private var channel: (any Channel)?
    private var unflushed = false
    /// Ticks while there are sessions, so that an idle server never wakes up.
    private var timer: RepeatedTask?
    private let timerInterval: TimeAmount
    /// Counters of ended sessions and of the table itself; ``statistics`` adds the live sessions'.
    private var totals = MediaStatistics()

    /// - Parameter timerInterval: how often session timers (consent, DTLS retransmission,
    ///   setup deadline) are checked while any session exists.
    init(eventLoop: any EventLoop, timerInterval: TimeAmount, logger: Logger) {
        self.eventLoop = eventLoop
        self.timerInterval = timerInterval
        self.logger = logger
    }

    var count: Int { entries.count }

    func attach(_ channel: any Channel) {
        eventLoop.preconditionInEventLoop()
        self.channel = channel
    }

    func add(_ session: EchoSession, id: String, ufrag: String) {
        eventLoop.preconditionInEventLoop()
        entries[id] = Entry(session: session, ufrag: ufrag)
        sessionByUfrag[ufrag] = id
        totals.sessionsStarted += 1
        if timer == nil {
            timer = eventLoop.scheduleRepeatedTask(initialDelay: timerInterval, delay: timerInterval) { [self] _ in
                timerFired(now: .now)
            }
        }
    }

    /// Ends a session from the server's side; false if there is none with this id.
    func close(id: String) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard let entry = entries[id] else { return false }
        run(entry.session.close(), sessionID: id)
        flush()
        return true
    }

    func closeAll() {
        eventLoop.preconditionInEventLoop()
        for id in Array(entries.keys) { _ = close(id: id) }
    }

    // MARK: Events

    func datagramReceived(_ buffer: ByteBuffer, from remote: SocketAddress) {
        eventLoop.preconditionInEventLoop()
        guard let source = TransportAddress(remote), let route = route(for: buffer, from: source) else {
            totals.datagramsUnrouted += 1
            return
        }
        var bytes = packetArrays.popLast() ?? Self.makePacketArray()
        bytes.append(contentsOf: buffer.readableBytesView)
        run(
            route.session.receive(consume bytes, from: source, now: .now), sessionID: route.id, source: (source, remote)
        )
    }

    /// Runs every session's timers whose deadline has passed.
    func timerFired(now: ContinuousClock.Instant) {
        eventLoop.preconditionInEventLoop()
        for (id, entry) in entries {
            guard let deadline = entry.session.nextDeadline, deadline <= now else { continue }
            run(entry.session.poll(now: now), sessionID: id)
        }
        flush()
    }

    /// The end of a read burst: everything written since goes out in one sendmmsg.
    func flush() {
        guard unflushed, let channel else { return }
        unflushed = false
        channel.flush()
    }

    // MARK: Routing

    private func route(for buffer: ByteBuffer, from source: TransportAddress) -> Route? {
        if let route = routeByAddress[source] { return route }
        // Only a connectivity check can introduce a new address.
        guard buffer.readableBytesView.first.map({ $0 < 4 }) == true,
            let ufrag = ICELiteAgent.localUsernameFragment(ofCheck: Array(buffer.readableBytesView)),
            let id = sessionByUfrag[ufrag], let entry = entries[id]
        else { return nil }
        return Route(id: id, session: entry.session)
    }

    /// Runs a session's outputs. `source` is the datagram that caused them, if one did: replies
    /// to it reuse its socket address rather than building one per packet.
    private func run(
        _ outputs: consuming [EchoSessionOutput], sessionID id: String,
        source: (address: TransportAddress, socketAddress: SocketAddress)? = nil
    ) {
        var outputs = outputs
        // Taken out one by one (in order), so each sent array is owned here and can be reused.
        outputs.reverse()
        while let output = outputs.popLast() {
            switch consume output {
            case .send(var bytes, let destination):
                let remote = source.flatMap { $0.address == destination ? $0.socketAddress : nil }
                send(bytes, to: remote ?? SocketAddress(destination))
                if packetArrays.count < Self.pooledPacketArrays, bytes.capacity >= Self.packetArrayCapacity {
                    bytes.removeAll(keepingCapacity: true)
                    packetArrays.append(bytes)
                }
            case .authenticated(let address):
                // A browser address belongs to one session; a second session's check from it
                // (the same browser starting over) takes it over.
                if let previous = routeByAddress[address], previous.id != id {
                    entries[previous.id]?.addresses.remove(address)
                }
                guard let session = entries[id]?.session else { continue }
                routeByAddress[address] = Route(id: id, session: session)
                entries[id]?.addresses.insert(address)
            case .connected:
                logger.debug("echo session connected", metadata: ["session": "\(id)"])
            case .ended(let reason):
                remove(id: id)
                logger.debug("echo session ended", metadata: ["session": "\(id)", "reason": "\(reason)"])
            }
        }
    }

    /// Writes a datagram, in a buffer of its own. (Slices of one shared buffer per read burst
    /// measured slower under the echo benchmark: 8 % of the server's time went to copying into
    /// it, against under 1 % this way.)
    private func send(_ bytes: [UInt8], to remote: SocketAddress) {
        guard let channel else { return }
        channel.write(
            AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
        unflushed = true
    }

    /// A packet array with room for any datagram of the media port plus the SRTP trailer added
    /// when it is encrypted again, so that it never grows into a second allocation.
    private static func makePacketArray() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(packetArrayCapacity)
        return bytes
    }

    private func remove(id: String) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        sessionByUfrag[entry.ufrag] = nil
        for address in entry.addresses where routeByAddress[address]?.id == id { routeByAddress[address] = nil }
        totals.packetsEchoed += entry.session.statistics.packetsEchoed
        totals.sessionsEnded += 1
        if entries.isEmpty {
            timer?.cancel()
            timer = nil
        }
    }

    var statistics: MediaStatistics {
        eventLoop.preconditionInEventLoop()
        var statistics = totals
        for entry in entries.values { statistics.packetsEchoed += entry.session.statistics.packetsEchoed }
        return statistics
    }
}

/// Counters of the media port since start.
public struct MediaStatistics: Sendable, Hashable {
    public var activeSessions: Int { sessionsStarted - sessionsEnded }
    public var sessionsStarted = 0
    public var sessionsEnded = 0
    /// RTP packets echoed (retransmissions not counted).
    public var packetsEchoed = 0
    /// Datagrams from addresses no session knows (and not a check naming a session's ufrag).
    public var datagramsUnrouted = 0
}
