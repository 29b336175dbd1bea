import DatagramSocket
import STUN
import Testing

/// Real sockets on loopback, port 0: what one sends in a batch the other reads in a batch,
/// with the right sources, and what does not fit is reported rather than handed on.
@Suite struct DatagramSocketTests {
    static let loopback = IPAddress.v4(0x7F00_0001)

    /// Reads `count` datagrams from `socket` in as many batches as they come in, failing if a
    /// batch takes more than a second.
    static func read(
        _ count: Int, from socket: DatagramSocket, batchSize: Int = 16, datagramCapacity: Int = 2048
    ) throws -> [(bytes: [UInt8], whole: Bool, source: TransportAddress?)] {
        socket.setReceiveTimeout(.seconds(1))
        let receiver = DatagramReceiver(batchSize: batchSize, datagramCapacity: datagramCapacity)
        var datagrams: [(bytes: [UInt8], whole: Bool, source: TransportAddress?)] = []
        while datagrams.count < count {
            let batch = try receiver.receive(from: socket)
            try #require(batch > 0, "timed out after \(datagrams.count) datagrams")
            for index in 0..<batch {
                var bytes: [UInt8] = []
                receiver.appendDatagram(index, to: &bytes)
                datagrams.append((bytes, receiver.isWhole(datagram: index), receiver.source(ofDatagram: index)))
            }
        }
        return datagrams
    }

    @Test func aBatchSentInOneCallIsReadWithItsSources() throws {
        let first = try DatagramSocket(host: Self.loopback, port: 0)
        let second = try DatagramSocket(host: Self.loopback, port: 0)
        #expect(first.localAddress.port != 0)
        #expect(first.localAddress.ip == Self.loopback)
        let sender = DatagramSender(batchSize: 4)
        // Six datagrams through a queue of four: the queue sends itself when full.
        for index in 0..<6 {
            sender.enqueue([UInt8](repeating: UInt8(index), count: 100 + index), to: second.localAddress, from: first)
        }
        #expect(sender.queued == 2)
        sender.flush()
        #expect(sender.queued == 0)
        #expect(sender.datagramsNotSent == 0)

        let received = try Self.read(6, from: second, batchSize: 8)
        #expect(received.map(\.bytes) == (0..<6).map { [UInt8](repeating: UInt8($0), count: 100 + $0) })
        #expect(received.allSatisfy { $0.source == first.localAddress && $0.whole })
    }

    @Test func aReceiveWithNothingToReadReturnsNoneAfterItsTimeout() throws {
        let socket = try DatagramSocket(host: Self.loopback, port: 0)
        socket.setReceiveTimeout(.milliseconds(10))
        let receiver = DatagramReceiver()
        #expect(try receiver.receive(from: socket) == 0)
        #expect(receiver.count == 0)
    }

    @Test func aDatagramLargerThanTheReceiverIsMarkedCutAndOneLargerThanTheSenderIsNotSent() throws {
        let first = try DatagramSocket(host: Self.loopback, port: 0)
        let second = try DatagramSocket(host: Self.loopback, port: 0)
        let sender = DatagramSender(datagramCapacity: 600)
        sender.enqueue([UInt8](repeating: 1, count: 601), to: second.localAddress, from: first)
        #expect(sender.queued == 0)
        #expect(sender.datagramsNotSent == 1)
        sender.enqueue([UInt8](repeating: 2, count: 600), to: second.localAddress, from: first)
        sender.enqueue([UInt8](repeating: 3, count: 10), to: second.localAddress, from: first)
        sender.flush()

        let seen = try Self.read(2, from: second, datagramCapacity: 512)
        #expect(seen[0].whole == false)
        #expect(seen[0].bytes.count == 512)
        #expect(seen[1].whole == true)
        #expect(seen[1].bytes == [UInt8](repeating: 3, count: 10))
    }

    @Test func anIPv6SocketReadsIPv4PeersAsIPv4AndSendsToThem() throws {
        let dualStack = try DatagramSocket(host: .v6(high: 0, low: 0), port: 0)
        let v4 = try DatagramSocket(host: Self.loopback, port: 0)
        let toDualStack = TransportAddress(ip: Self.loopback, port: dualStack.localAddress.port)
        let sender = DatagramSender()
        sender.enqueue([7, 7, 7], to: toDualStack, from: v4)
        sender.flush()

        dualStack.setReceiveTimeout(.seconds(1))
        let receiver = DatagramReceiver()
        #expect(try receiver.receive(from: dualStack) == 1)
        #expect(receiver.source(ofDatagram: 0) == v4.localAddress)

        // And back, to the IPv4 address as read: mapped into ::ffff:0:0/96 on the way out.
        let reply = DatagramSender()
        reply.enqueue([8], to: try #require(receiver.source(ofDatagram: 0)), from: dualStack)
        reply.flush()
        #expect(reply.datagramsNotSent == 0)
        v4.setReceiveTimeout(.seconds(1))
        let back = DatagramReceiver()
        #expect(try back.receive(from: v4) == 1)
        var bytes: [UInt8] = []
        back.appendDatagram(0, to: &bytes)
        #expect(bytes == [8])
    }

    @Test func oneSenderQueuesForSeveralSocketsAndEachDatagramLeavesFromItsOwn() throws {
        let first = try DatagramSocket(host: Self.loopback, port: 0)
        let second = try DatagramSocket(host: Self.loopback, port: 0)
        let target = try DatagramSocket(host: Self.loopback, port: 0)
        let sender = DatagramSender()
        sender.enqueue([1], to: target.localAddress, from: first)
        sender.enqueue([2], to: target.localAddress, from: first)
        // Another socket: the first one's queue goes out before this is queued.
        sender.enqueue([3], to: target.localAddress, from: second)
        #expect(sender.queued == 1)
        sender.flush()

        let seen = try Self.read(3, from: target)
        #expect(seen.map(\.bytes) == [[1], [2], [3]])
        #expect(seen.map(\.source) == [first.localAddress, first.localAddress, second.localAddress])
    }

    @Test func thePollerReportsReadableSocketsByTokenAndWakesOnRequest() throws {
        let poller = try DatagramPoller()
        let quiet = try DatagramSocket(host: Self.loopback, port: 0)
        let busy = try DatagramSocket(host: Self.loopback, port: 0)
        try poller.add(quiet, token: 1)
        try poller.add(busy, token: 2)
        var ready: [UInt64] = [99]
        try poller.wait(timeout: .milliseconds(10), into: &ready)
        #expect(ready == [])

        let sender = DatagramSender()
        sender.enqueue([1, 2, 3], to: busy.localAddress, from: quiet)
        sender.flush()
        try poller.wait(timeout: .seconds(1), into: &ready)
        #expect(ready == [2])
        // Reported until read (level-triggered); a read that does not wait takes it.
        let receiver = DatagramReceiver()
        #expect(try receiver.receive(from: busy, waiting: false) == 1)
        #expect(try receiver.receive(from: busy, waiting: false) == 0)
        try poller.wait(timeout: .milliseconds(10), into: &ready)
        #expect(ready == [])

        poller.wake()
        try poller.wait(timeout: .seconds(1), into: &ready)
        #expect(ready == [DatagramPoller.wakeToken])
        // The wake is used up by the wait that saw it.
        try poller.wait(timeout: .milliseconds(10), into: &ready)
        #expect(ready == [])

        // A removed socket is no longer reported.
        poller.remove(busy)
        sender.enqueue([4], to: busy.localAddress, from: quiet)
        sender.flush()
        try poller.wait(timeout: .milliseconds(50), into: &ready)
        #expect(ready == [])
    }

    /// A socket with no receive timeout: only the wake can end the read (the time limit fails
    /// the test otherwise).
    @Test(.timeLimit(.minutes(1))) func wakingTheReaderEndsABlockedReceive() async throws {
        let socket = try DatagramSocket(host: Self.loopback, port: 0)
        let reading = Task.detached { try DatagramReceiver().receive(from: socket) }
        // Whether the read has blocked yet or not: after the wake it returns no datagram at once
        // (the kernel's end-of-file marker is not one).
        try await Task.sleep(for: .milliseconds(50))
        socket.wakeReader()
        #expect(try await reading.value == 0)
    }

    /// A burst sent while nobody reads, as when the media thread is descheduled: the socket with
    /// the larger buffer keeps all of it, one with the kernel's default loses some. The burst is
    /// sized between the two, for the smallest grant possible (twice a default `rmem_max`).
    @Test func aLargerReceiveBufferKeepsABurstTheDefaultOneDrops() throws {
        let sender = try DatagramSocket(host: Self.loopback, port: 0)
        let withDefault = try DatagramSocket(host: Self.loopback, port: 0)
        let enlarged = try DatagramSocket(host: Self.loopback, port: 0)
        let defaultSize = enlarged.receiveBufferSize
        let granted = enlarged.requestReceiveBuffer(bytes: 4 << 20)
        #expect(granted >= 2 * defaultSize, "asked for 4 MiB, got \(granted) bytes from \(defaultSize)")
        #expect(enlarged.receiveBufferSize == granted)

        // 140 datagrams of 1,400 bytes: 196 KB of payload, which the kernel charges at 2-2.7 KB
        // each (the payload's buffer and its bookkeeping): 290-370 KB, more than the default
        // buffer (208 KiB) and less than the smallest grant (416 KiB).
        let burst = 140
        let queue = DatagramSender(batchSize: 32)
        for destination in [withDefault, enlarged] {
            for index in 0..<burst {
                queue.enqueue(
                    [UInt8](repeating: UInt8(index & 0xFF), count: 1400), to: destination.localAddress, from: sender)
            }
            queue.flush()
        }
        #expect(queue.datagramsNotSent == 0)

        func drain(_ socket: DatagramSocket) throws -> Int {
            socket.setReceiveTimeout(.milliseconds(100))
            let receiver = DatagramReceiver(batchSize: 32)
            var total = 0
            while case let count = try receiver.receive(from: socket), count > 0 { total += count }
            return total
        }
        #expect(try drain(enlarged) == burst)
        #expect(try drain(withDefault) < burst, "the default buffer kept the whole burst: the test proves nothing")
    }

    @Test func bindingAnAddressThisMachineDoesNotHaveSaysWhy() throws {
        // 192.0.2.1 (TEST-NET-1) is on no interface here.
        let error = #expect(throws: DatagramSocketError.self) {
            try DatagramSocket(host: .v4(0xC000_0201), port: 0)
        }
        #expect(error?.description == "bind failed: Cannot assign requested address")
    }
}
