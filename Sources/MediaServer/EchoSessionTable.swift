import DatagramSocket
import ICE
import Logging
import MediaEngine
import STUN

/// Every echo session of the media port, and which session each datagram belongs to.
///
/// Not thread-safe by itself: ``MediaServerService`` keeps it behind a mutex, which the
/// receiving thread takes once per batch of datagrams and the endpoints take to add, end or
/// count sessions. A STUN datagram is routed by the server ufrag in its USERNAME; anything
/// else by its source address, which a session's ICE agent must have authenticated first.
final class EchoSessionTable {
    private struct Route {
        let id: String
        let session: EchoSession
    }

    private struct Entry {
        let session: EchoSession
        let ufrag: String
        var addresses: Set<TransportAddress> = []
    }

    private let logger: Logger
    /// The media port, and everything the sessions send from it, queued until ``flush()``.
    private let socket: DatagramSocket
    private let sender: DatagramSender
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
    /// The outputs of the datagram being handled: one array for all of them, emptied after each
    /// (keeping its capacity), so that echoing a packet allocates no array.
    private var outputs: [EchoSessionOutput] = []
    /// Counters of ended sessions and of the table itself; ``statistics`` adds the live sessions'.
    private var totals = MediaStatistics()

    init(socket: DatagramSocket, sender: DatagramSender, logger: Logger) {
        self.socket = socket
        self.sender = sender
        self.logger = logger
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func add(_ session: EchoSession, id: String, ufrag: String) {
        entries[id] = Entry(session: session, ufrag: ufrag)
        sessionByUfrag[ufrag] = id
        totals.sessionsStarted += 1
    }

    /// Ends a session from the server's side; false if there is none with this id.
    func close(id: String) -> Bool {
        guard let entry = entries[id] else { return false }
        var goodbye = entry.session.close()
        run(&goodbye, sessionID: id)
        flush()
        return true
    }

    func closeAll() {
        for id in Array(entries.keys) { _ = close(id: id) }
    }

    // MARK: Events

    /// Hands datagram `index` of the receiver's batch to its session.
    func datagramReceived(_ index: Int, of receiver: DatagramReceiver, now: ContinuousClock.Instant) {
        guard receiver.isWhole(datagram: index), let source = receiver.source(ofDatagram: index) else {
            totals.datagramsUnrouted += 1
            return
        }
        var bytes = packetArrays.popLast() ?? Self.makePacketArray()
        receiver.appendDatagram(index, to: &bytes)
        guard let route = route(for: bytes, from: source) else {
            totals.datagramsUnrouted += 1
            recycle(&bytes)
            return
        }
        route.session.receive(consume bytes, from: source, now: now, into: &outputs)
        run(&outputs, sessionID: route.id)
    }

    /// Runs every session's timers whose deadline has passed.
    func timerFired(now: ContinuousClock.Instant) {
        for (id, entry) in entries {
            guard let deadline = entry.session.nextDeadline, deadline <= now else { continue }
            var timerOutputs = entry.session.poll(now: now)
            run(&timerOutputs, sessionID: id)
        }
    }

    /// Sends everything queued, in one sendmmsg where the kernel takes it.
    func flush() {
        if sender.queued > 0 { sender.flush() }
    }

    // MARK: Routing

    private func route(for bytes: [UInt8], from source: TransportAddress) -> Route? {
        if let route = routeByAddress[source] { return route }
        // Only a connectivity check can introduce a new address.
        guard bytes.first.map({ $0 < 4 }) == true,
            let ufrag = ICELiteAgent.localUsernameFragment(ofCheck: bytes),
            let id = sessionByUfrag[ufrag], let entry = entries[id]
        else { return nil }
        return Route(id: id, session: entry.session)
    }

    /// Runs a session's outputs, leaving `outputs` empty (with its capacity).
    private func run(_ outputs: inout [EchoSessionOutput], sessionID id: String) {
        // Taken out one by one (in order), so each sent array is owned here and can be reused.
        outputs.reverse()
        while let output = outputs.popLast() {
            switch consume output {
            case .send(var bytes, let destination):
                sender.enqueue(bytes, to: destination, from: socket)
                recycle(&bytes)
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

    /// Keeps a packet array for the next datagram, if it is one of the pool's size.
    private func recycle(_ bytes: inout [UInt8]) {
        if packetArrays.count < Self.pooledPacketArrays, bytes.capacity >= Self.packetArrayCapacity {
            bytes.removeAll(keepingCapacity: true)
            packetArrays.append(bytes)
        }
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
    }

    var statistics: MediaStatistics {
        var statistics = totals
        for entry in entries.values { statistics.packetsEchoed += entry.session.statistics.packetsEchoed }
        statistics.datagramsNotSent = sender.datagramsNotSent
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
    /// Datagrams from addresses no session knows (and not a check naming a session's ufrag),
    /// and datagrams too large for the media port (over 2,048 bytes).
    public var datagramsUnrouted = 0
    /// Datagrams the sessions sent that the kernel did not take (its send buffer full, or an
    /// unreachable destination).
    public var datagramsNotSent = 0
}
