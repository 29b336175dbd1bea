import CDatagramSocket

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Waits for any of several sockets to become readable (epoll), for a thread that serves many
/// sockets (TURN's listener and relay ports). Each socket is added with a token of the caller's
/// choosing, which ``wait(timeout:into:)`` reports when the socket has datagrams. ``wake()``,
/// from any thread, ends a wait early.
public final class DatagramPoller: @unchecked Sendable {
    private let descriptor: Int32
    private let wakeDescriptor: Int32
    /// The token ``wait(timeout:into:)`` reports for ``wake()``; not for sockets.
    public static let wakeToken = UInt64.max
    private let tokens: UnsafeMutablePointer<UInt64>
    private static let eventsPerWait: Int32 = 64

    public init() throws(DatagramSocketError) {
        descriptor = CDatagramSocket_epoll_create()
        guard descriptor >= 0 else { throw .systemCall("epoll_create1", errno) }
        wakeDescriptor = CDatagramSocket_eventfd()
        guard wakeDescriptor >= 0 else {
            let error = errno
            _ = systemClose(descriptor)
            throw .systemCall("eventfd", error)
        }
        tokens = .allocate(capacity: Int(Self.eventsPerWait))
        guard CDatagramSocket_epoll_add(descriptor, wakeDescriptor, Self.wakeToken) == 0 else {
            let error = errno
            _ = systemClose(descriptor)
            _ = systemClose(wakeDescriptor)
            tokens.deallocate()
            throw .systemCall("epoll_ctl", error)
        }
    }

    deinit {
        _ = systemClose(descriptor)
        _ = systemClose(wakeDescriptor)
        tokens.deallocate()
    }

    /// Watches `socket`; its readiness is reported as `token` (anything but ``wakeToken``).
    public func add(_ socket: DatagramSocket, token: UInt64) throws(DatagramSocketError) {
        precondition(token != Self.wakeToken)
        guard CDatagramSocket_epoll_add(descriptor, socket.descriptor, token) == 0 else {
            throw .systemCall("epoll_ctl", errno)
        }
    }

    /// Stops watching `socket` (before it is closed, so that its descriptor number, reused,
    /// cannot report under the old token).
    public func remove(_ socket: DatagramSocket) {
        _ = CDatagramSocket_epoll_remove(descriptor, socket.descriptor)
    }

    /// Waits until a socket is readable, ``wake()`` is called, or `timeout` passes; replaces
    /// `ready`'s contents with the tokens of the readable sockets (``wakeToken`` for a wake).
    public func wait(timeout: Duration, into ready: inout [UInt64]) throws(DatagramSocketError) {
        ready.removeAll(keepingCapacity: true)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = max(0, min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        let count = CDatagramSocket_epoll_wait(descriptor, tokens, Self.eventsPerWait, Int32(milliseconds))
        guard count >= 0 else {
            if errno == EINTR { return }
            throw .systemCall("epoll_wait", errno)
        }
        for index in 0..<Int(count) {
            if tokens[index] == Self.wakeToken { CDatagramSocket_eventfd_drain(wakeDescriptor) }
            ready.append(tokens[index])
        }
    }

    /// Ends the current (or next) wait at once, from any thread.
    public func wake() {
        CDatagramSocket_eventfd_wake(wakeDescriptor)
    }
}
