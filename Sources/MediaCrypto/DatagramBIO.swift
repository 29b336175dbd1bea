import COpenSSL

/// What one `SSL` object and its callbacks share: the datagram OpenSSL is to read, the
/// datagrams it wrote, and what the callbacks need to decide.
///
/// OpenSSL's memory BIOs join writes into one byte stream and lose where one datagram ends;
/// DTLS needs each record flight write kept apart (RFC 6347 section 4.1.1: records are not
/// split across datagrams). So the endpoint's BIO is this custom one: every `BIO_write` is one
/// datagram, like a UDP socket, and a read hands over exactly the one datagram that arrived.
final class DTLSLink {
    /// The datagram for OpenSSL's next read; nil makes the read "would block".
    var incoming: [UInt8]?
    /// Datagrams OpenSSL wrote since they were last taken.
    var outgoing: [[UInt8]] = []
    /// The peer's SDP fingerprint, normalized; nil accepts any certificate.
    let expectedFingerprint: String?
    /// Why the verify callback refused the peer's certificate.
    var fingerprintFailure: String?
    /// The first retransmission interval handed to OpenSSL's timer callback, in microseconds.
    let initialTimeoutMicroseconds: UInt32

    init(expectedFingerprint: String?, initialTimeoutMicroseconds: UInt32) {
        self.expectedFingerprint = expectedFingerprint.map(Fingerprint.normalized)
        self.initialTimeoutMicroseconds = initialTimeoutMicroseconds
    }

    func takeOutgoing() -> [[UInt8]] {
        defer { outgoing = [] }
        return outgoing
    }

    /// The link an `SSL *` carries as application data (ex_data index 0, `SSL_set_app_data`).
    static func of(ssl: OpaquePointer?) -> DTLSLink? {
        guard let ssl, let raw = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<DTLSLink>.fromOpaque(raw).takeUnretainedValue()
    }

    static func of(bio: OpaquePointer?) -> DTLSLink? {
        guard let bio, let raw = BIO_get_data(bio) else { return nil }
        return Unmanaged<DTLSLink>.fromOpaque(raw).takeUnretainedValue()
    }
}

/// The process-wide `BIO_METHOD` of datagram BIOs; made once, never freed.
struct DatagramBIOMethod: @unchecked Sendable {
    let method: OpaquePointer?

    static let shared = DatagramBIOMethod()

    private init() {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(type, "parley datagram") else {
            self.method = nil
            return
        }
        _ = BIO_meth_set_write(method, datagramWrite)
        _ = BIO_meth_set_read(method, datagramRead)
        _ = BIO_meth_set_ctrl(method, datagramControl)
        _ = BIO_meth_set_create(method, datagramCreate)
        _ = BIO_meth_set_destroy(method, datagramDestroy)
        self.method = method
    }
}

private func datagramWrite(_ bio: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ length: Int32) -> Int32 {
    guard let link = DTLSLink.of(bio: bio), let data, length >= 0 else { return -1 }
    parley_bio_clear_retry_flags(bio)
    link.outgoing.append(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
    return length
}

private func datagramRead(_ bio: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int32) -> Int32 {
    guard let bio, let link = DTLSLink.of(bio: bio), let buffer, capacity >= 0 else { return -1 }
    parley_bio_clear_retry_flags(bio)
    guard let datagram = link.incoming else {
        parley_bio_set_retry_read(bio)
        return -1
    }
    link.incoming = nil
    // Like a datagram socket: what does not fit is lost.
    let count = min(datagram.count, Int(capacity))
    datagram.withUnsafeBytes { bytes in
        guard count > 0, let source = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(buffer).copyMemory(from: source, byteCount: count)
    }
    return Int32(count)
}

private func datagramControl(
    _ bio: OpaquePointer?, _ command: Int32, _ argument: Int, _ pointer: UnsafeMutableRawPointer?
)
    -> Int
{
    switch command {
    // The handshake flushes after each flight; nothing is buffered here.
    case BIO_CTRL_FLUSH: 1
    // No per-datagram overhead: the link MTU given is the DTLS datagram size limit.
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: 0
    case BIO_CTRL_WPENDING, BIO_CTRL_PENDING: 0
    default: 0
    }
}

private func datagramCreate(_ bio: OpaquePointer?) -> Int32 {
    BIO_set_init(bio, 1)
    return 1
}

/// The link belongs to the endpoint, which outlives the BIO; nothing to free.
private func datagramDestroy(_ bio: OpaquePointer?) -> Int32 {
    1
}
