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
    private var sessionByAddress: [TransportAddress: String] = [:]
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
        guard let source = TransportAddress(remote), let id = sessionID(for: buffer, from: source),
            let entry = entries[id]
        else {
            totals.datagramsUnrouted += 1
            return
        }
        // Room for the SRTP trailer up front: the echoed packet is re-encrypted in this same
        // array, which then never has to grow into a second allocation.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(buffer.readableBytes + Self.trailerRoom)
        bytes.append(contentsOf: buffer.readableBytesView)
        run(entry.session.receive(consume bytes, from: source, now: .now), sessionID: id)
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

    private func sessionID(for buffer: ByteBuffer, from source: TransportAddress) -> String? {
        if let id = sessionByAddress[source] { return id }
        // Only a STUN check can introduce a new address; its USERNAME is "<server ufrag>:<browser ufrag>".
        guard buffer.readableBytesView.first.map({ $0 < 4 }) == true,
            let message = try? STUNMessage(decoding: Array(buffer.readableBytesView)),
            let username = try? message.attribute(Username.self),
            let ufrag = username.text.split(separator: ":", maxSplits: 1).first
        else { return nil }
        return sessionByUfrag[String(ufrag)]
    }

    private func run(_ outputs: [EchoSessionOutput], sessionID id: String) {
        for output in outputs {
            switch output {
            case .send(let bytes, let destination):
                guard let channel else { continue }
                let envelope = AddressedEnvelope(
                    remoteAddress: SocketAddress(destination), data: channel.allocator.buffer(bytes: bytes))
                channel.write(envelope, promise: nil)
                unflushed = true
            case .authenticated(let address):
                // A browser address belongs to one session; a second session's check from it
                // (the same browser starting over) takes it over.
                if let previous = sessionByAddress[address], previous != id {
                    entries[previous]?.addresses.remove(address)
                }
                sessionByAddress[address] = id
                entries[id]?.addresses.insert(address)
            case .connected:
                logger.debug("echo session connected", metadata: ["session": "\(id)"])
            case .ended(let reason):
                remove(id: id)
                logger.debug("echo session ended", metadata: ["session": "\(id)", "reason": "\(reason)"])
            }
        }
    }

    private func remove(id: String) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        sessionByUfrag[entry.ufrag] = nil
        for address in entry.addresses where sessionByAddress[address] == id { sessionByAddress[address] = nil }
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
