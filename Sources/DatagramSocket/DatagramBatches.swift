import CDatagramSocket
import STUN

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Room for one batch of received datagrams and their source addresses, allocated once, used by
/// one thread (for one socket or several in turn). After ``receive(from:waiting:)``, datagrams
/// `0..<count` can be read until the next call.
public final class DatagramReceiver {
    public let batchSize: Int
    /// The largest datagram read whole; a larger one arrives truncated and must be dropped.
    public let datagramCapacity: Int
    /// How many datagrams the last ``receive(from:waiting:)`` read.
    public private(set) var count = 0
    private let slots: MessageSlots

    public init(batchSize: Int = 16, datagramCapacity: Int = 2048) {
        self.batchSize = batchSize
        self.datagramCapacity = datagramCapacity
        slots = MessageSlots(count: batchSize, datagramCapacity: datagramCapacity)
        for index in 0..<batchSize { slots.vectors[index].iov_len = datagramCapacity }
    }

    /// Reads every datagram waiting on `socket`, up to a batch, in one system call, and returns
    /// how many. `waiting`: first wait for one, at most the socket's receive timeout; else (a
    /// socket a ``DatagramPoller`` reported) return at once. 0 when nothing came in time, or a
    /// signal interrupted the wait.
    public func receive(from socket: DatagramSocket, waiting: Bool = true) throws(DatagramSocketError) -> Int {
        let messages = slots.messages
        for index in 0..<batchSize {
            messages[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            messages[index].msg_hdr.msg_flags = 0
        }
        let received = CDatagramSocket_recvmmsg(
            socket.descriptor, messages, UInt32(batchSize),
            waiting ? CDatagramSocket_MSG_WAITFORONE : Int32(MSG_DONTWAIT))
        guard received >= 0 else {
            let error = errno
            count = 0
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { return 0 }
            throw .systemCall("recvmmsg", error)
        }
        count = Int(received)
        // After ``DatagramSocket/wakeReader()`` the kernel reports end of file as an empty
        // message with no source address; a real datagram, even an empty one, always has one.
        while count > 0, messages[count - 1].msg_hdr.msg_namelen == 0 { count -= 1 }
        return count
    }

    /// Where datagram `index` came from.
    public func source(ofDatagram index: Int) -> TransportAddress? {
        precondition(index < count)
        return DatagramSocket.read(slots.addresses + index)
    }

    /// False when datagram `index` was larger than ``datagramCapacity`` and only its start was read.
    public func isWhole(datagram index: Int) -> Bool {
        precondition(index < count)
        return slots.messages[index].msg_hdr.msg_flags & Int32(MSG_TRUNC) == 0
    }

    /// Appends datagram `index`'s bytes to `bytes`.
    public func appendDatagram(_ index: Int, to bytes: inout [UInt8]) {
        precondition(index < count)
        let length = min(Int(slots.messages[index].msg_len), datagramCapacity)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: slots.datagram(index), count: length))
    }
}

/// Datagrams to send, queued (copied into buffers allocated once) and sent together by
/// ``flush()``, in as few `sendmmsg` calls as the kernel takes. One queue holds one socket's
/// datagrams: queuing for another socket first sends the queue. Sends never block: what a
/// socket's buffer cannot take is dropped and counted, as a network would drop it. One owner (a
/// thread, or whoever holds a lock) at a time.
public final class DatagramSender {
    public let batchSize: Int
    /// The largest datagram sent; a larger one is not sent (and counted).
    public let datagramCapacity: Int
    /// Datagrams queued since the last flush.
    public private(set) var queued = 0
    /// Datagrams dropped: larger than the capacity, refused by the kernel, or with the socket's
    /// send buffer full.
    public private(set) var datagramsNotSent = 0
    private let slots: MessageSlots
    /// The socket the queued datagrams leave from.
    private var socket: DatagramSocket?

    public init(batchSize: Int = 32, datagramCapacity: Int = 2048 + 64) {
        self.batchSize = batchSize
        self.datagramCapacity = datagramCapacity
        slots = MessageSlots(count: batchSize, datagramCapacity: datagramCapacity)
    }

    /// Queues a copy of `bytes` for `destination` from `socket`, first sending the queue if it
    /// is full or for another socket.
    public func enqueue(_ bytes: [UInt8], to destination: TransportAddress, from socket: DatagramSocket) {
        guard bytes.count <= datagramCapacity else {
            datagramsNotSent += 1
            return
        }
        if queued == batchSize || (queued > 0 && self.socket !== socket) { flush() }
        self.socket = socket
        let slot = slots.datagram(queued)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { slot.copyMemory(from: base, byteCount: source.count) }
        }
        slots.vectors[queued].iov_len = bytes.count
        slots.messages[queued].msg_hdr.msg_namelen = DatagramSocket.write(
            destination, into: &slots.addresses[queued], asIPv6: socket.isIPv6)
        queued += 1
    }

    /// Sends everything queued.
    public func flush() {
        guard let socket, queued > 0 else { return }
        var sent = 0
        while sent < queued {
            let result = CDatagramSocket_sendmmsg(
                socket.descriptor, slots.messages + sent, UInt32(queued - sent), Int32(MSG_DONTWAIT))
            if result > 0 {
                sent += Int(result)
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS {
                // The socket's buffer is full: the rest would fail the same way now.
                datagramsNotSent += queued - sent
                break
            }
            // This datagram was refused (an unreachable or forbidden destination); the rest
            // may go.
            datagramsNotSent += 1
            sent += 1
        }
        queued = 0
    }
}

/// The memory of a batch, allocated once: a buffer per datagram, each with its address and its
/// `mmsghdr` pointing at both, as `recvmmsg` and `sendmmsg` take them.
private final class MessageSlots {
    let buffer: UnsafeMutableRawPointer
    let addresses: UnsafeMutablePointer<sockaddr_storage>
    let vectors: UnsafeMutablePointer<iovec>
    let messages: UnsafeMutablePointer<CDatagramSocket_mmsghdr>
    let datagramCapacity: Int

    init(count: Int, datagramCapacity: Int) {
        precondition(count > 0 && datagramCapacity > 0)
        self.datagramCapacity = datagramCapacity
        buffer = .allocate(byteCount: count * datagramCapacity, alignment: 16)
        addresses = .allocate(capacity: count)
        addresses.initialize(repeating: sockaddr_storage(), count: count)
        vectors = .allocate(capacity: count)
        messages = .allocate(capacity: count)
        for index in 0..<count {
            vectors[index] = iovec(iov_base: buffer + index * datagramCapacity, iov_len: 0)
            var header = msghdr()
            header.msg_name = UnsafeMutableRawPointer(addresses + index)
            header.msg_iov = vectors + index
            header.msg_iovlen = 1
            messages[index] = CDatagramSocket_mmsghdr(msg_hdr: header, msg_len: 0)
        }
    }

    func datagram(_ index: Int) -> UnsafeMutableRawPointer { buffer + index * datagramCapacity }

    deinit {
        buffer.deallocate()
        addresses.deallocate()
        vectors.deallocate()
        messages.deallocate()
    }
}
