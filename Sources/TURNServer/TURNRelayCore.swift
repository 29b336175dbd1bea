import DatagramSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import STUN
import TURN
import TransportAddressNIO

/// Owns the ``AllocationTable`` and every socket, and runs the table's actions.
///
/// UDP, the relay path, runs on two threads of its own. The listener, which carries every UDP
/// client's traffic, has one that blocks in `recvmmsg` on it (``runListenerLoop()``): no readiness
/// poll before each read. The relay sockets, one per allocation and each quieter, share the other
/// (``runRelayLoop()``): a ``DatagramPoller`` over all of them, one `recvmmsg` per readable socket;
/// it also runs the table's timers. What a batch causes is sent in `sendmmsg` batches. TURN over
/// TCP stays on SwiftNIO, whose handlers call in from their event loop. All of them reach the
/// state only under `lock`, which is what makes the unchecked `Sendable` sound; a UDP thread takes
/// it once per wakeup. TCP writes and closes are done after the lock is released, since NIO may
/// call a handler back (and so the core) from inside them.
final class TURNRelayCore: @unchecked Sendable {
    let logger: Logger
    private let lock = NIOLock()
    private var table: AllocationTable
    private let relayHost: IPAddress
    private let listener: DatagramSocket
    private let poller: DatagramPoller
    private let datagramsPerRead: Int
    private let sender = DatagramSender(batchSize: 32, datagramCapacity: TURNRelayCore.largestDatagramSent)

    private var relays: [UInt16: DatagramSocket] = [:]
    private var connections: [FiveTuple: any Channel] = [:]
    /// TCP work queued under the lock, done after it.
    private var connectionWork: [ConnectionWork] = []
    private var actions: [TURNAction] = []
    private var closed = false
    private var runningActions = false

    private enum ConnectionWork {
        case write(any Channel, [UInt8])
        case close(any Channel)
    }

    /// How often allocations, permissions and channels are checked for expiry.
    static let timerInterval = Duration.seconds(1)
    /// The largest datagram read; a larger one is dropped. More than any media packet under a
    /// 1,500-byte MTU with its TURN framing.
    static let largestDatagramReceived = 2048
    /// The largest datagram sent: a received one with a Data indication's framing added, or a
    /// ChannelData frame from a TCP client.
    static let largestDatagramSent = 4096

    init(
        table: AllocationTable, listener: DatagramSocket, relayHost: IPAddress, policy: PeerAddressPolicy,
        datagramsPerRead: Int, logger: Logger
    ) throws {
        self.table = table
        self.listener = listener
        self.relayHost = relayHost
        self.datagramsPerRead = datagramsPerRead
        self.logger = logger
        self.poller = try DatagramPoller()
        self.table.updatePolicy(policy)
        actions.reserveCapacity(8)
    }

    var statistics: TURNStatistics { lock.withLock { table.statistics } }

    // MARK: The UDP threads

    /// Serves the listener until ``stop()``.
    func runListenerLoop() {
        let receiver = DatagramReceiver(batchSize: datagramsPerRead, datagramCapacity: Self.largestDatagramReceived)
        // Bounds how long the thread takes to notice ``stop()`` should its wake-up be missed.
        listener.setReceiveTimeout(Self.timerInterval)
        while true {
            let count: Int
            do { count = try receiver.receive(from: listener) } catch {
                logger.error("TURN listener unreadable; UDP clients no longer served", metadata: ["error": "\(error)"])
                return
            }
            let stopped = withLock { () -> Bool in
                guard !closed else { return true }
                let now = UnixTime.now()
                Self.forEachDatagram(count, of: receiver) { bytes, client in
                    let tuple = FiveTuple(client: client, server: listener.localAddress, transport: .udp)
                    table.clientDatagramReceived(bytes, from: tuple, now: now, actions: &actions)
                    runActions()
                }
                return false
            }
            if stopped { return }
        }
    }

    /// Serves the relay sockets, and runs the table's timers, until ``stop()``.
    func runRelayLoop() {
        let receiver = DatagramReceiver(batchSize: datagramsPerRead, datagramCapacity: Self.largestDatagramReceived)
        var ready: [UInt64] = []
        ready.reserveCapacity(64)
        var nextTimer = ContinuousClock.now + Self.timerInterval
        while true {
            do {
                try poller.wait(timeout: nextTimer - .now, into: &ready)
            } catch {
                logger.error(
                    "TURN relay sockets unreadable; relaying from peers stopped", metadata: ["error": "\(error)"])
                return
            }
            let timerDue = ContinuousClock.now >= nextTimer
            if timerDue { nextTimer = .now + Self.timerInterval }
            let stopped = withLock { () -> Bool in
                guard !closed else { return true }
                let now = UnixTime.now()
                for token in ready {
                    guard let port = UInt16(exactly: token), let relay = relays[port] else { continue }
                    readPeerDatagrams(from: relay, port: port, into: receiver, now: now)
                }
                if timerDue {
                    table.timerFired(now: now, actions: &actions)
                    runActions()
                }
                return false
            }
            if stopped { return }
        }
    }

    private func readPeerDatagrams(
        from relay: DatagramSocket, port: UInt16, into receiver: DatagramReceiver, now: UnixTime
    ) {
        guard let count = try? receiver.receive(from: relay, waiting: false) else { return }
        Self.forEachDatagram(count, of: receiver) { bytes, peer in
            table.peerDatagramReceived(bytes, relayPort: port, from: peer, now: now, actions: &actions)
            runActions()
        }
    }

    /// Hands each of the batch's first `count` datagrams, with its source, to `body`; drops
    /// truncated ones (larger than ``largestDatagramReceived``).
    private static func forEachDatagram(
        _ count: Int, of receiver: DatagramReceiver, _ body: ([UInt8], TransportAddress) -> Void
    ) {
        for index in 0..<count {
            guard receiver.isWhole(datagram: index), let source = receiver.source(ofDatagram: index) else { continue }
            var bytes: [UInt8] = []
            receiver.appendDatagram(index, to: &bytes)
            body(bytes, source)
        }
    }

    // MARK: Events from TCP handlers (on their event loop)

    func clientFrame(_ buffer: ByteBuffer, on tuple: FiveTuple) {
        withLock {
            guard !closed else { return }
            table.clientDatagramReceived(
                Array(buffer.readableBytesView), from: tuple, now: .now(), actions: &actions)
            runActions()
        }
    }

    /// False when the server is stopping: the connection should close.
    func connectionOpened(_ tuple: FiveTuple, channel: any Channel) -> Bool {
        lock.withLock {
            guard !closed else { return false }
            connections[tuple] = channel
            return true
        }
    }

    func connectionClosed(_ tuple: FiveTuple) {
        withLock {
            guard connections.removeValue(forKey: tuple) != nil else { return }
            table.clientConnectionClosed(tuple, actions: &actions)
            runActions()
        }
    }

    // MARK: Stopping

    /// Ends both UDP loops (from any thread), closes every relay socket and TCP connection. The
    /// listener is closed by the caller once its loop has returned.
    func stop() {
        withLock {
            closed = true
            for relay in relays.values {
                poller.remove(relay)
                relay.close()
            }
            relays.removeAll()
            for connection in connections.values { connectionWork.append(.close(connection)) }
            connections.removeAll()
        }
        poller.wake()
        listener.wakeReader()
    }

    // MARK: Actions

    /// Runs `body` under the lock, sends the UDP it queued, then does the TCP work it queued.
    private func withLock<Result>(_ body: () -> Result) -> Result {
        let (result, work) = lock.withLock { () -> (Result, [ConnectionWork]) in
            let result = body()
            sender.flush()
            guard !connectionWork.isEmpty else { return (result, []) }
            defer { connectionWork.removeAll() }
            return (result, connectionWork)
        }
        for item in work {
            switch item {
            case .write(let connection, let bytes):
                connection.writeAndFlush(connection.allocator.buffer(bytes: bytes), promise: nil)
            case .close(let connection):
                connection.close(promise: nil)
            }
        }
        return result
    }

    /// Runs queued actions. Re-entrant calls (a relay bound inline queues more actions) only
    /// append; the outermost call runs them in order.
    private func runActions() {
        guard !runningActions, !actions.isEmpty else { return }
        runningActions = true
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            run(action)
        }
        actions.removeAll(keepingCapacity: true)
        runningActions = false
    }

    private func run(_ action: TURNAction) {
        switch action {
        case .sendToClient(let tuple, let bytes):
            switch tuple.transport {
            case .udp:
                sender.enqueue(bytes, to: tuple.client, from: listener)
            case .tcp:
                guard let connection = connections[tuple] else { return }
                connectionWork.append(.write(connection, bytes))
            }
        case .sendToPeer(let relayPort, let peer, let bytes):
            guard let relay = relays[relayPort] else { return }
            sender.enqueue(bytes, to: peer, from: relay)
        case .bindRelay(let relayPort):
            bindRelay(relayPort)
        case .releaseRelay(let relayPort):
            guard let relay = relays.removeValue(forKey: relayPort) else { return }
            // Anything queued for it leaves first.
            sender.flush()
            poller.remove(relay)
            relay.close()
        case .closeConnection(let tuple):
            if let connection = connections[tuple] { connectionWork.append(.close(connection)) }
        }
    }

    private func bindRelay(_ relayPort: UInt16) {
        do {
            let relay = try DatagramSocket(host: relayHost, port: relayPort)
            try poller.add(relay, token: UInt64(relayPort))
            relays[relayPort] = relay
            table.relayBound(relayPort: relayPort, now: .now(), actions: &actions)
        } catch {
            logger.debug("relay port unavailable", metadata: ["port": "\(relayPort)", "error": "\(error)"])
            table.relayBindFailed(relayPort: relayPort, now: .now(), actions: &actions)
        }
    }
}

/// One TURN-over-TCP client connection, after ``STUNFrameDecoder``.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let core: TURNRelayCore
    private var tuple: FiveTuple?

    init(core: TURNRelayCore) { self.core = core }

    func channelActive(context: ChannelHandlerContext) {
        guard let remote = context.remoteAddress.flatMap(TransportAddress.init),
            let local = context.localAddress.flatMap(TransportAddress.init)
        else {
            context.close(promise: nil)
            return
        }
        let tuple = FiveTuple(client: remote, server: local, transport: .tcp)
        guard core.connectionOpened(tuple, channel: context.channel) else {
            context.close(promise: nil)
            return
        }
        self.tuple = tuple
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let tuple else { return }
        core.clientFrame(unwrapInboundIn(data), on: tuple)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let tuple { core.connectionClosed(tuple) }
        tuple = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
