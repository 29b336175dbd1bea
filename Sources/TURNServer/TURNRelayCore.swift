import Logging
import NIOCore
import NIOPosix
import STUN
import TURN
import TransportAddressNIO

/// Owns the ``AllocationTable`` and every socket, and runs the table's actions.
///
/// All state lives on one event loop: every handler and callback that touches it runs there
/// (`eventLoop.preconditionInEventLoop()` guards the entry points), which is why the unchecked
/// `Sendable` is sound. One loop keeps the relay path free of locks; the kernel batches with
/// recvmmsg/sendmmsg. Each readiness event gets one recvmmsg (`maxMessagesPerRead` 1): at media
/// rates a second call would almost always find the socket empty, and epoll, level-triggered,
/// reports a socket again if more than one batch was waiting.
final class TURNRelayCore: @unchecked Sendable {
    let eventLoop: any EventLoop
    let logger: Logger
    private var table: AllocationTable
    private let relayHost: String
    private let datagramsPerRead: Int

    private var listener: (any Channel)?
    private var listenerAddress: TransportAddress?
    private var relays: [UInt16: any Channel] = [:]
    private var connections: [FiveTuple: any Channel] = [:]
    /// Channels written to since the last flush; flushed when the current read burst ends.
    private var unflushed: [ObjectIdentifier: any Channel] = [:]
    private var actions: [TURNAction] = []
    private var timer: RepeatedTask?
    private var closed = false
    private var runningActions = false

    init(eventLoop: any EventLoop, table: AllocationTable, relayHost: String, datagramsPerRead: Int, logger: Logger) {
        self.eventLoop = eventLoop
        self.table = table
        self.relayHost = relayHost
        self.datagramsPerRead = datagramsPerRead
        self.logger = logger
        actions.reserveCapacity(8)
    }

    func attachListener(_ channel: any Channel, policy: PeerAddressPolicy) {
        eventLoop.preconditionInEventLoop()
        listener = channel
        listenerAddress = channel.localAddress.flatMap(TransportAddress.init)
        table.updatePolicy(policy)
        timer = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            table.timerFired(now: .now(), actions: &actions)
            runActions()
            flush()
        }
    }

    var statistics: TURNStatistics { table.statistics }

    // MARK: Events from handlers

    func clientDatagram(_ buffer: ByteBuffer, from remote: SocketAddress) {
        guard let client = TransportAddress(remote), let server = listenerAddress else { return }
        let tuple = FiveTuple(client: client, server: server, transport: .udp)
        table.clientDatagramReceived(Array(buffer.readableBytesView), from: tuple, now: .now(), actions: &actions)
        runActions()
    }

    func clientFrame(_ buffer: ByteBuffer, on tuple: FiveTuple) {
        table.clientDatagramReceived(Array(buffer.readableBytesView), from: tuple, now: .now(), actions: &actions)
        runActions()
    }

    func peerDatagram(_ buffer: ByteBuffer, from remote: SocketAddress, relayPort: UInt16) {
        guard let peer = TransportAddress(remote) else { return }
        table.peerDatagramReceived(
            Array(buffer.readableBytesView), relayPort: relayPort, from: peer, now: .now(), actions: &actions)
        runActions()
    }

    func connectionOpened(_ tuple: FiveTuple, channel: any Channel) {
        connections[tuple] = channel
    }

    func connectionClosed(_ tuple: FiveTuple) {
        connections[tuple] = nil
        table.clientConnectionClosed(tuple, actions: &actions)
        runActions()
        flush()
    }

    /// The end of a read burst: hand every pending write to the kernel at once.
    func flush() {
        guard !unflushed.isEmpty else { return }
        for channel in unflushed.values { channel.flush() }
        unflushed.removeAll(keepingCapacity: true)
    }

    // MARK: Actions

    /// Runs queued actions. Re-entrant calls (a relay bind can complete inline, and its
    /// callback queues more actions) only append; the outermost call runs them in order.
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
                guard let listener else { return }
                write(bytes, to: tuple.client, on: listener)
            case .tcp:
                guard let connection = connections[tuple] else { return }
                connection.write(connection.allocator.buffer(bytes: bytes), promise: nil)
                unflushed[ObjectIdentifier(connection)] = connection
            }
        case .sendToPeer(let relayPort, let peer, let bytes):
            guard let relay = relays[relayPort] else { return }
            write(bytes, to: peer, on: relay)
        case .bindRelay(let relayPort):
            bindRelay(relayPort)
        case .releaseRelay(let relayPort):
            if let relay = relays.removeValue(forKey: relayPort) {
                unflushed[ObjectIdentifier(relay)] = nil
                relay.close(promise: nil)
            }
        case .closeConnection(let tuple):
            connections[tuple]?.close(promise: nil)
        }
    }

    private func write(_ bytes: [UInt8], to address: TransportAddress, on channel: any Channel) {
        let envelope = AddressedEnvelope(
            remoteAddress: SocketAddress(address), data: channel.allocator.buffer(bytes: bytes))
        channel.write(envelope, promise: nil)
        unflushed[ObjectIdentifier(channel)] = channel
    }

    private func bindRelay(_ relayPort: UInt16) {
        let bind = DatagramBootstrap(group: eventLoop)
            .channelOption(.datagramVectorReadMessageCount, value: datagramsPerRead)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048 * datagramsPerRead))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayHandler(core: self, relayPort: relayPort))
                }
            }
            .bind(host: relayHost, port: Int(relayPort))
        bind.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                if closed {
                    channel.close(promise: nil)
                    return
                }
                relays[relayPort] = channel
                table.relayBound(relayPort: relayPort, now: .now(), actions: &actions)
            case .failure(let error):
                logger.debug("relay port unavailable", metadata: ["port": "\(relayPort)", "error": "\(error)"])
                table.relayBindFailed(relayPort: relayPort, now: .now(), actions: &actions)
            }
            runActions()
            flush()
        }
    }

    /// Closes every socket; the table is discarded with the core.
    func shutdown() {
        eventLoop.preconditionInEventLoop()
        closed = true
        timer?.cancel()
        listener?.close(promise: nil)
        for relay in relays.values { relay.close(promise: nil) }
        for connection in connections.values { connection.close(promise: nil) }
        relays.removeAll()
        connections.removeAll()
    }
}

/// Datagrams from clients on the UDP listener.
final class ClientDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let core: TURNRelayCore

    init(core: TURNRelayCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        core.clientDatagram(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) { core.flush() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (e.g. port unreachable from a client that went away) must not close the listener.
        core.logger.trace("listener error", metadata: ["error": "\(error)"])
    }
}

/// Datagrams from peers arriving at one relay port.
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let core: TURNRelayCore
    let relayPort: UInt16

    init(core: TURNRelayCore, relayPort: UInt16) {
        self.core = core
        self.relayPort = relayPort
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        core.peerDatagram(envelope.data, from: envelope.remoteAddress, relayPort: relayPort)
    }

    func channelReadComplete(context: ChannelHandlerContext) { core.flush() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.logger.trace("relay error", metadata: ["port": "\(relayPort)", "error": "\(error)"])
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
        self.tuple = tuple
        core.connectionOpened(tuple, channel: context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let tuple else { return }
        core.clientFrame(unwrapInboundIn(data), on: tuple)
    }

    func channelReadComplete(context: ChannelHandlerContext) { core.flush() }

    func channelInactive(context: ChannelHandlerContext) {
        if let tuple { core.connectionClosed(tuple) }
        tuple = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
