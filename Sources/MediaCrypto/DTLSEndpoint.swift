import COpenSSL

/// DTLS 1.2 with use_srtp over an in-memory datagram BIO (DatagramBIO.swift). Not Sendable: one owner.
///
/// WebRTC media keys come from a DTLS handshake on the media path (RFC 5764, RFC 8827 section
/// 6.5): the handshake proves each side holds the certificate its SDP fingerprint names (RFC
/// 5763 section 5) and both export the SRTP master keys (RFC 5764 section 4.2). This class is
/// that handshake, sans-IO: datagrams in, datagrams out. It speaks only DTLS 1.2 with ECDHE-ECDSA
/// AES-GCM, offers SRTP_AEAD_AES_128_GCM (RFC 7714 section 14.2) then SRTP_AES128_CM_SHA1_80,
/// asks the client for its certificate and keeps flights under `mtu` (RFC 6347 section 4.1.1.1).
/// No cookie exchange (RFC 6347 section 4.2.1): ICE already proved the peer's address.
///
/// ## Time
///
/// OpenSSL 3.0 runs its retransmission timer on the wall clock (`gettimeofday`) and offers no way
/// to pass time in, so `now` governs only part of it:
///
/// - Governed by `now`: ``nextDeadline`` is the `now` of the call that sent (or re-sent) the
///   flight plus OpenSSL's interval for it; ``handleTimeout(now:)`` does nothing before that
///   deadline; the count of retransmissions after which the handshake fails is counted in
///   ``handleTimeout(now:)`` calls past a deadline.
/// - Governed by OpenSSL: the intervals themselves come from its timer callback, which this class
///   sets (`DTLS_set_timer_cb`): `initialRetransmission`, doubling to 60 s (RFC 6347 section
///   4.2.4.1). Those run on the wall clock from the moment the flight was written.
///   ``handleTimeout(now:)`` re-sends only if that wall-clock timer has also run out (OpenSSL
///   counts under 15 ms left as run out); if `now` is ahead of the wall clock it sends nothing and
///   moves ``nextDeadline`` to `now` plus the wall-clock time left. OpenSSL may also re-send on its
///   own inside ``receive(_:now:)`` when a datagram arrives after its wall-clock timer ran out;
///   those datagrams are returned from that call. OpenSSL's own limit (12 timeouts) fails the
///   handshake too, if the count here has not already.
///
/// With a real clock (`ContinuousClock.now` at each call) the two agree to within scheduling
/// noise. A simulated clock can delay retransmission but not hasten it.
public final class DTLSEndpoint {
    /// DTLS role (RFC 5763 section 5): Parley answers offers, so it is the server with browsers.
    public enum Role: Sendable { case server, client }

    public enum State: Sendable, Equatable {
        case handshaking
        /// The handshake finished, the peer's certificate matched its fingerprint, SRTP keys are out.
        case connected(SRTPKeyingMaterial)
        /// The handshake or the association failed, with the reason; nothing more is sent.
        case failed(String)
        /// close_notify was sent or received (RFC 5246 section 7.2.1).
        case closed
    }

    public let role: Role
    public private(set) var state: State = .handshaking

    private let ssl: OpaquePointer
    private let link: DTLSLink
    /// Holds the `SSL_CTX` for as long as the `SSL` uses it.
    private let certificate: DTLSCertificate
    private let maximumRetransmissions: Int
    private var started = false
    private var deadline: ContinuousClock.Instant?
    private var retransmissions = 0

    /// The largest datagram accepted from the network: a DTLS record's maximum (RFC 6347
    /// section 4.1) fits in it.
    static let maximumDatagramSize = 65_536

    /// - Parameters:
    ///   - remoteFingerprintSHA256: the peer's SDP `a=fingerprint:sha-256` value; the handshake
    ///     fails unless the peer's certificate has this digest (case does not matter). nil skips
    ///     the check (tests only: without it the handshake authenticates nobody).
    ///   - mtu: the largest DTLS datagram to send; handshake flights are fragmented to fit.
    ///   - initialRetransmission: the first retransmission interval, doubling after each (RFC
    ///     6347 section 4.2.4.1; 1 s like browsers). At least 20 ms: OpenSSL treats a timer with
    ///     under 15 ms left as expired.
    ///   - maximumRetransmissions: re-sends of one flight before the handshake fails.
    ///   - srtpProfiles: the use_srtp profiles offered, most preferred first (a server picks by
    ///     its own order).
    public init(
        role: Role, certificate: DTLSCertificate, remoteFingerprintSHA256: String?, mtu: Int = 1200,
        initialRetransmission: Duration = .seconds(1), maximumRetransmissions: Int = 6,
        srtpProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]
    ) throws(MediaCryptoError) {
        guard mtu >= 256, mtu <= 65_535 else { throw .invalidArgument("MTU \(mtu) outside 256...65535") }
        guard !srtpProfiles.isEmpty else { throw .invalidArgument("no SRTP protection profile") }
        guard maximumRetransmissions >= 0 else { throw .invalidArgument("negative maximumRetransmissions") }
        let (seconds, attoseconds) = initialRetransmission.components
        let microseconds = max(20_000, min(60_000_000, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        self.role = role
        self.certificate = certificate
        self.maximumRetransmissions = maximumRetransmissions
        self.link = DTLSLink(
            expectedFingerprint: remoteFingerprintSHA256, initialTimeoutMicroseconds: UInt32(microseconds))

        OpenSSLErrors.clear()
        guard let method = DatagramBIOMethod.shared.method else { throw OpenSSLErrors.error("BIO_meth_new") }
        guard let ssl = SSL_new(certificate.context) else { throw OpenSSLErrors.error("SSL_new") }
        guard let bio = BIO_new(method) else {
            SSL_free(ssl)
            throw OpenSSLErrors.error("BIO_new")
        }
        BIO_set_data(bio, Unmanaged.passUnretained(link).toOpaque())
        // One BIO for both directions: SSL_set_bio takes the one reference, SSL_free frees it.
        SSL_set_bio(ssl, bio, bio)
        self.ssl = ssl

        guard SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(link).toOpaque()) == 1 else {
            throw OpenSSLErrors.error("SSL_set_ex_data")
        }
        let profiles = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        // Returns 0 on success, unlike most of OpenSSL.
        guard SSL_set_tlsext_use_srtp(ssl, profiles) == 0 else {
            throw OpenSSLErrors.error("SSL_set_tlsext_use_srtp")
        }
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtlsVerifyPeer)
        _ = SSL_set_options(ssl, parley_op_no_query_mtu())
        guard parley_dtls_set_link_mtu(ssl, mtu) == 1 else { throw OpenSSLErrors.error("DTLS_set_link_mtu") }
        DTLS_set_timer_cb(ssl, dtlsTimerInterval)
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
    }

    deinit {
        // Frees the BIO too; `link` is released after, so no callback sees it gone.
        SSL_free(ssl)
    }

    /// Client: its first flight. Server: nothing (it waits for the ClientHello).
    public func start(now: ContinuousClock.Instant) -> [[UInt8]] {
        guard !started, state == .handshaking else { return [] }
        started = true
        guard role == .client else { return [] }
        return advance(now: now)
    }

    /// A DTLS datagram arrived (RFC 7983 first byte 20...63). Returns the datagrams to send back.
    /// Garbage, or records after failure, give [] and never crash.
    ///
    /// After the handshake, records are still read: close_notify closes, an alert fails, a
    /// re-sent client Finished makes the server re-send its last flight. Application data
    /// (RFC 8831 data channels) is read and dropped.
    public func receive(_ datagram: [UInt8], now: ContinuousClock.Instant) -> [[UInt8]] {
        // A record header is 13 bytes (RFC 6347 section 4.1); RFC 7983 section 7 gives DTLS
        // the first bytes 20...63.
        guard datagram.count >= 13, datagram.count <= Self.maximumDatagramSize, (20...63).contains(datagram[0])
        else { return [] }
        switch state {
        case .handshaking:
            // A server starts on its first ClientHello; a client that has not sent one ignores all.
            if role == .client && !started { return [] }
            started = true
        case .connected:
            break
        case .failed, .closed:
            return []
        }
        link.incoming = datagram
        defer { link.incoming = nil }
        return advance(now: now)
    }

    /// When `handleTimeout(now:)` must run, while a flight waits for its answer; nil otherwise.
    public var nextDeadline: ContinuousClock.Instant? {
        guard state == .handshaking else { return nil }
        return deadline
    }

    /// Retransmits the last flight if its deadline passed; after too many, state becomes .failed.
    /// See "Time" above for how far `now` decides.
    public func handleTimeout(now: ContinuousClock.Instant) -> [[UInt8]] {
        guard state == .handshaking, let deadline, now >= deadline else { return [] }
        guard retransmissions < maximumRetransmissions else {
            fail("DTLS handshake timed out: no answer after \(retransmissions) retransmissions")
            return link.takeOutgoing()
        }
        OpenSSLErrors.clear()
        let result = parley_dtls_handle_timeout(ssl)
        let datagrams = link.takeOutgoing()
        if result < 0 {
            fail("DTLS retransmission failed: \(OpenSSLErrors.drain())")
            return datagrams
        }
        if datagrams.isEmpty {
            // OpenSSL's wall-clock timer has not run out yet: come back when it will have.
            self.deadline = now + (timerLeft() ?? .milliseconds(1))
            return []
        }
        retransmissions += 1
        self.deadline = timerLeft().map { now + $0 }
        return datagrams
    }

    /// Sends close_notify (state becomes .closed).
    public func close() -> [[UInt8]] {
        switch state {
        case .failed, .closed:
            return []
        case .handshaking, .connected:
            OpenSSLErrors.clear()
            // During a handshake OpenSSL refuses to shut down and sends nothing; closed either way.
            if started { _ = SSL_shutdown(ssl) }
            OpenSSLErrors.clear()
            state = .closed
            deadline = nil
            return link.takeOutgoing()
        }
    }

    // MARK: Driving OpenSSL

    /// Runs OpenSSL on whatever `link.incoming` holds and returns what it wrote.
    private func advance(now: ContinuousClock.Instant) -> [[UInt8]] {
        switch state {
        case .handshaking: continueHandshake()
        case .connected: readRecords()
        case .failed, .closed: break
        }
        let datagrams = link.takeOutgoing()
        if state != .handshaking || timerLeft() == nil {
            deadline = nil
        } else if !datagrams.isEmpty || deadline == nil {
            // A flight (or a re-sent one) went out just now.
            deadline = timerLeft().map { now + $0 }
        }
        return datagrams
    }

    private func continueHandshake() {
        let stateBefore = SSL_get_state(ssl)
        OpenSSLErrors.clear()
        let result = SSL_do_handshake(ssl)
        if SSL_get_state(ssl) != stateBefore { retransmissions = 0 }
        if result == 1 {
            handshakeFinished()
            return
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        if let mismatch = link.fingerprintFailure {
            OpenSSLErrors.clear()
            fail(mismatch)
        } else {
            fail("DTLS handshake failed: \(OpenSSLErrors.drain(fallback: "SSL_get_error \(error)"))")
        }
    }

    /// Checks the peer (again: the verify callback already did) and exports the SRTP keys.
    private func handshakeFinished() {
        if let expected = link.expectedFingerprint {
            guard let peer = SSL_get1_peer_certificate(ssl) else {
                fail("remote certificate fingerprint: the peer sent no certificate")
                return
            }
            let actual = Fingerprint.sha256(of: peer)
            X509_free(peer)
            guard let actual, Fingerprint.normalized(actual) == expected else {
                fail("remote certificate fingerprint mismatch after handshake")
                return
            }
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl) else {
            fail("the peer negotiated no SRTP protection profile (use_srtp, RFC 5764 section 4.1.2)")
            return
        }
        guard let profile = SRTPProtectionProfile(identifier: UInt(selected.pointee.id)) else {
            fail("unsupported SRTP protection profile \(selected.pointee.id)")
            return
        }
        do {
            state = .connected(try exportKeys(profile: profile))
        } catch {
            fail("\(error)")
        }
    }

    /// RFC 5764 section 4.2: the exporter's output is client key | server key | client salt |
    /// server salt.
    private func exportKeys(profile: SRTPProtectionProfile) throws(MediaCryptoError) -> SRTPKeyingMaterial {
        let keyLength = profile.keyLength
        let saltLength = profile.saltLength
        var material = [UInt8](repeating: 0, count: 2 * (keyLength + saltLength))
        let label = "EXTRACTOR-dtls_srtp"
        OpenSSLErrors.clear()
        let result = material.withUnsafeMutableBufferPointer { buffer in
            SSL_export_keying_material(ssl, buffer.baseAddress, buffer.count, label, label.utf8.count, nil, 0, 0)
        }
        guard result == 1 else { throw OpenSSLErrors.error("SSL_export_keying_material") }
        let clientKey = Array(material[0..<keyLength])
        let serverKey = Array(material[keyLength..<(2 * keyLength)])
        let clientSalt = Array(material[(2 * keyLength)..<(2 * keyLength + saltLength)])
        let serverSalt = Array(material[(2 * keyLength + saltLength)...])
        switch role {
        case .client:
            return SRTPKeyingMaterial(
                profile: profile, localKey: clientKey, localSalt: clientSalt, remoteKey: serverKey,
                remoteSalt: serverSalt)
        case .server:
            return SRTPKeyingMaterial(
                profile: profile, localKey: serverKey, localSalt: serverSalt, remoteKey: clientKey,
                remoteSalt: clientSalt)
        }
    }

    /// After the handshake: lets OpenSSL see alerts and re-sent handshake records, drops data.
    private func readRecords() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            OpenSSLErrors.clear()
            let result = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if result > 0 { continue }
            let error = SSL_get_error(ssl, result)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                OpenSSLErrors.clear()
                state = .closed
                return
            default:
                fail("DTLS association failed: \(OpenSSLErrors.drain(fallback: "SSL_get_error \(error)"))")
                return
            }
        }
    }

    private func fail(_ reason: String) {
        state = .failed(reason)
        deadline = nil
    }

    /// The time OpenSSL's running retransmission timer has left, nil when none runs.
    private func timerLeft() -> Duration? {
        var left = timeval()
        guard parley_dtls_get_timeout(ssl, &left) == 1 else { return nil }
        return .seconds(Int64(left.tv_sec)) + .microseconds(Int64(left.tv_usec))
    }
}
