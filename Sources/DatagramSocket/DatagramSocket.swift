import STUN
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A UDP socket for a service that reads it on a thread of its own, in batches: a blocking
/// `recvmmsg` takes every datagram waiting (up to a batch) per wakeup, and `sendmmsg` sends
/// everything queued in one system call (``DatagramReceiver``, ``DatagramSender``).
///
/// Why not NIO's datagram channel: it makes the same batched system calls, but under media
/// load most wakeups carry one packet, and then the work around each one dominates: an
/// `epoll_wait` besides the read, the channel pipeline, and a text rendering of every source
/// address (`inet_ntop`). A blocking read needs no readiness poll, and addresses stay integers.
///
/// All of this target's unsafe pointers stay inside it. The socket itself may be shared: the
/// kernel serialises the system calls; each receiver and sender belongs to one thread (or one
/// lock) at a time.
public final class DatagramSocket: @unchecked Sendable {
    let descriptor: Int32
    private let closed = Atomic<Bool>(false)
    /// The bound address, with the port the kernel chose if 0 was asked for.
    public let localAddress: TransportAddress
    /// An IPv6 socket, which sends to IPv4 addresses mapped into `::ffff:0:0/96`.
    let isIPv6: Bool

    /// Binds a UDP socket to `host` (an IP address; the wildcard `0.0.0.0` or `::` for every
    /// interface). Reads block until something arrives or ``setReceiveTimeout(_:)`` passes.
    /// `reuseAddress` (SO_REUSEADDR) lets a restarted server bind its well-known port at once;
    /// leave it off for ports handed out one per user, which two sockets must never share.
    public init(host: IPAddress, port: UInt16, reuseAddress: Bool = false) throws(DatagramSocketError) {
        isIPv6 = !host.isIPv4
        // Close-on-exec, as NIO opens its sockets: no child process inherits the ports.
        let descriptor = socket(
            isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .systemCall("socket", errno) }
        var storage = sockaddr_storage()
        let length = Self.write(TransportAddress(ip: host, port: port), into: &storage, asIPv6: isIPv6)
        if reuseAddress {
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let failed: String? = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                if bind(descriptor, address, length) != 0 { return "bind" }
                if getsockname(descriptor, address, &boundLength) != 0 { return "getsockname" }
                return nil
            }
        }
        if let failed {
            let error = errno
            _ = systemClose(descriptor)
            throw .systemCall(failed, error)
        }
        self.descriptor = descriptor
        self.localAddress = withUnsafePointer(to: &storage) { Self.read($0) } ?? TransportAddress(ip: host, port: port)
    }

    deinit { close() }

    /// Closes the socket now, freeing its port, rather than when the last reference goes. Only
    /// once no thread reads it any more: a read of a closed socket fails.
    public func close() {
        if !closed.exchange(true, ordering: .relaxed) { _ = systemClose(descriptor) }
    }

    /// How long a receive waits for the first datagram before returning none.
    public func setReceiveTimeout(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var microseconds = Int(attoseconds / 1_000_000_000_000)
        // Zero would mean "wait forever".
        if seconds <= 0, microseconds <= 0 { microseconds = 1 }
        var timeout = timeval(tv_sec: Int(max(0, seconds)), tv_usec: microseconds)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The receive buffer the kernel keeps for this socket (SO_RCVBUF), in bytes of its own
    /// accounting: each datagram is charged its whole kernel buffer, about twice its size or more.
    public var receiveBufferSize: Int {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &value, &length) == 0 else { return 0 }
        return Int(value)
    }

    /// Asks for a receive buffer of `bytes` (SO_RCVBUF): datagrams wait there while the reading
    /// thread is not running. The kernel caps the request at `net.core.rmem_max` and doubles it
    /// for its bookkeeping. Returns the size granted.
    @discardableResult
    public func requestReceiveBuffer(bytes: Int) -> Int {
        var value = Int32(clamping: bytes)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &value, socklen_t(MemoryLayout<Int32>.size))
        return receiveBufferSize
    }

    /// Ends a receive blocked on this socket, and makes every later one return nothing at once
    /// (`shutdown(SHUT_RD)`, which Linux applies to unconnected UDP sockets too): how a thread
    /// that reads it is told to stop.
    public func wakeReader() {
        _ = shutdown(descriptor, Int32(SHUT_RD))
    }

    // MARK: Addresses

    /// Writes `address` as a `sockaddr_in` (or, on an IPv6 socket, a `sockaddr_in6`, IPv4
    /// addresses mapped into `::ffff:0:0/96`); returns its length.
    static func write(_ address: TransportAddress, into storage: inout sockaddr_storage, asIPv6: Bool) -> socklen_t {
        withUnsafeMutableBytes(of: &storage) { raw in
            switch address.ip {
            case .v4(let value) where !asIPv6:
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = address.port.bigEndian
                sin.sin_addr.s_addr = value.bigEndian
                raw.storeBytes(of: sin, as: sockaddr_in.self)
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            case .v4(let value):
                return writeIPv6(high: 0, low: 0xFFFF_0000_0000 | UInt64(value), port: address.port, into: raw)
            case .v6(let high, let low):
                return writeIPv6(high: high, low: low, port: address.port, into: raw)
            }
        }
    }

    private static func writeIPv6(high: UInt64, low: UInt64, port: UInt16, into raw: UnsafeMutableRawBufferPointer)
        -> socklen_t
    {
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { address in
            address.storeBytes(of: high.bigEndian, as: UInt64.self)
            address.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        raw.storeBytes(of: sin6, as: sockaddr_in6.self)
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }

    /// The address in a `sockaddr_in` or `sockaddr_in6`; IPv4-mapped IPv6 addresses come back
    /// as IPv4, so one peer has one address whichever socket family it reached.
    static func read(_ storage: UnsafePointer<sockaddr_storage>) -> TransportAddress? {
        let raw = UnsafeRawPointer(storage)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let sin = raw.load(as: sockaddr_in.self)
            return TransportAddress(
                ip: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = raw.load(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: sin6.sin6_addr) { address in
                (
                    UInt64(bigEndian: address.loadUnaligned(as: UInt64.self)),
                    UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                )
            }
            let port = UInt16(bigEndian: sin6.sin6_port)
            if high == 0, low >> 32 == 0xFFFF {
                return TransportAddress(ip: .v4(UInt32(truncatingIfNeeded: low)), port: port)
            }
            return TransportAddress(ip: .v6(high: high, low: low), port: port)
        default:
            return nil
        }
    }
}

/// Why a socket could not be made or read.
public enum DatagramSocketError: Error, Hashable, CustomStringConvertible {
    /// A system call failed with this errno.
    case systemCall(String, Int32)

    public var description: String {
        switch self {
        case .systemCall(let call, let error): "\(call) failed: \(String(cString: strerror(error)))"
        }
    }
}

/// `close(2)`, which ``DatagramSocket/close()`` hides inside the class.
func systemClose(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(descriptor)
    #else
        Darwin.close(descriptor)
    #endif
}
