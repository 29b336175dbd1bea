import DatagramSocket
import STUN
import Testing

/// Real sockets on loopback, port 0: what one sends in a batch the other reads in a batch,
/// with the right sources, and what does not fit is reported rather than handed on.
@Suite struct DatagramSocketTests {
    static let loopback = IPAddress.v4(0x7F00_0001)

    @Test func aBatchSentInOneCallIsReadWithItsSources() throws {
        let first = try DatagramSocket(host: Self.loopback, port: 0)
        let second = try DatagramSocket(host: Self.loopback, port: 0)
        #expect(first.localAddress.port != 0)
        #expect(first.localAddress.ip == Self.loopback)
        let sender = DatagramSender(socket: first, batchSize: 4)
        // Six datagrams through a queue of four: the queue sends itself when full.
        for index in 0..<6 {
            sender.enqueue([UInt8](repeating: UInt8(index), count: 100 + index), to: second.localAddress)
        }
        #expect(sender.queued == 2)
        sender.flush()
        #expect(sender.queued == 0)
        #expect(sender.datagramsNotSent == 0)

        second.setReceiveTimeout(.seconds(1))
        let receiver = DatagramReceiver(socket: second, batchSize: 8)
        var received: [[UInt8]] = []
        while received.count < 6 {
            let count = try receiver.receive()
            try #require(count > 0, "timed out after \(received.count) datagrams")
            for index in 0..<count {
                #expect(receiver.source(ofDatagram: index) == first.localAddress)
                #expect(receiver.isWhole(datagram: index))
                var bytes: [UInt8] = []
                receiver.appendDatagram(index, to: &bytes)
                received.append(bytes)
            }
        }
        #expect(received == (0..<6).map { [UInt8](repeating: UInt8($0), count: 100 + $0) })
    }

    @Test func aReceiveWithNothingToReadReturnsNoneAfterItsTimeout() throws {
        let socket = try DatagramSocket(host: Self.loopback, port: 0)
        socket.setReceiveTimeout(.milliseconds(10))
        let receiver = DatagramReceiver(socket: socket)
        #expect(try receiver.receive() == 0)
        #expect(receiver.count == 0)
    }

    @Test func aDatagramLargerThanTheReceiverIsMarkedCutAndOneLargerThanTheSenderIsNotSent() throws {
        let first = try DatagramSocket(host: Self.loopback, port: 0)
        let second = try DatagramSocket(host: Self.loopback, port: 0)
        let sender = DatagramSender(socket: first, datagramCapacity: 600)
        sender.enqueue([UInt8](repeating: 1, count: 601), to: second.localAddress)
        #expect(sender.queued == 0)
        #expect(sender.datagramsNotSent == 1)
        sender.enqueue([UInt8](repeating: 2, count: 600), to: second.localAddress)
        sender.enqueue([UInt8](repeating: 3, count: 10), to: second.localAddress)
        sender.flush()

        second.setReceiveTimeout(.seconds(1))
        let receiver = DatagramReceiver(socket: second, datagramCapacity: 512)
        var seen: [(whole: Bool, bytes: [UInt8])] = []
        while seen.count < 2 {
            let count = try receiver.receive()
            try #require(count > 0)
            for index in 0..<count {
                var bytes: [UInt8] = []
                receiver.appendDatagram(index, to: &bytes)
                seen.append((receiver.isWhole(datagram: index), bytes))
            }
        }
        #expect(seen[0].whole == false)
        #expect(seen[0].bytes.count == 512)
        #expect(seen[1].whole == true)
        #expect(seen[1].bytes == [UInt8](repeating: 3, count: 10))
    }

    @Test func anIPv6SocketReadsIPv4PeersAsIPv4AndSendsToThem() throws {
        let dualStack = try DatagramSocket(host: .v6(high: 0, low: 0), port: 0)
        let v4 = try DatagramSocket(host: Self.loopback, port: 0)
        let toDualStack = TransportAddress(ip: Self.loopback, port: dualStack.localAddress.port)
        let sender = DatagramSender(socket: v4)
        sender.enqueue([7, 7, 7], to: toDualStack)
        sender.flush()

        dualStack.setReceiveTimeout(.seconds(1))
        let receiver = DatagramReceiver(socket: dualStack)
        #expect(try receiver.receive() == 1)
        #expect(receiver.source(ofDatagram: 0) == v4.localAddress)

        // And back, to the IPv4 address as read: mapped into ::ffff:0:0/96 on the way out.
        let reply = DatagramSender(socket: dualStack)
        reply.enqueue([8], to: try #require(receiver.source(ofDatagram: 0)))
        reply.flush()
        #expect(reply.datagramsNotSent == 0)
        v4.setReceiveTimeout(.seconds(1))
        let back = DatagramReceiver(socket: v4)
        #expect(try back.receive() == 1)
        var bytes: [UInt8] = []
        back.appendDatagram(0, to: &bytes)
        #expect(bytes == [8])
    }

    @Test func bindingAnAddressThisMachineDoesNotHaveSaysWhy() throws {
        // 192.0.2.1 (TEST-NET-1) is on no interface here.
        let error = #expect(throws: DatagramSocketError.self) {
            try DatagramSocket(host: .v4(0xC000_0201), port: 0)
        }
        #expect(error?.description == "bind failed: Cannot assign requested address")
    }
}
