/// How the media engine's UDP service runs.
public struct MediaServerConfiguration: Sendable {
    /// Address the media socket binds; the wildcard listens on every interface.
    public var host = "0.0.0.0"
    /// The one UDP port for all media (RFC 7983 demultiplexing); 0 picks a free one (tests).
    public var port = 7882
    /// Addresses put in answers as the server's candidates. Empty: `publicIP` if set, else the
    /// bound address, else (for a wildcard bind) every non-loopback interface address of its family.
    public var advertisedAddresses: [String] = []
    /// The public address of a server behind 1:1 NAT (the same as TURN's `--public-ip`).
    public var publicIP: String?
    /// Most echo sessions at once; a further offer is refused with a 503 that says so.
    public var maximumEchoSessions = 32
    /// Datagrams read per recvmmsg call.
    public var datagramsPerRead = 16
    /// The media socket's receive buffer asked of the kernel, which caps it at
    /// `net.core.rmem_max` (Debian's default: 208 KiB, granted as twice that). Datagrams wait
    /// there whenever the media thread is not running; the kernel's default buffer holds about
    /// 90 video packets (it charges each its whole kernel buffer), 25 ms of 32 browsers' media,
    /// and a longer stall of the thread would drop the rest.
    public var receiveBufferBytes = 4 << 20

    public init() {}
}
