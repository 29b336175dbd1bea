import COpenSSL

/// OpenSSL's DTLS retransmission timer callback (`DTLS_set_timer_cb`): the interval of the
/// timer about to start, given the previous one (0 for a new flight).
///
/// The first interval is the endpoint's `initialRetransmission`; each retransmission doubles
/// it up to 60 s (RFC 6347 section 4.2.4.1).
func dtlsTimerInterval(_ ssl: OpaquePointer?, _ previousMicroseconds: UInt32) -> UInt32 {
    let maximum: UInt32 = 60_000_000
    guard let link = DTLSLink.of(ssl: ssl) else { return 1_000_000 }
    if previousMicroseconds == 0 { return link.initialTimeoutMicroseconds }
    return previousMicroseconds >= maximum / 2 ? maximum : previousMicroseconds * 2
}

/// OpenSSL's certificate verify callback. WebRTC certificates are self-signed, so the chain
/// errors OpenSSL reports do not matter; what does is that the peer's certificate is the one
/// its SDP fingerprint names (RFC 5763 section 5, RFC 8122 section 5). Refusing here makes
/// OpenSSL end the handshake with a bad_certificate alert.
func dtlsVerifyPeer(_ preverified: Int32, _ store: OpaquePointer?) -> Int32 {
    guard let store,
        let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let link = DTLSLink.of(ssl: OpaquePointer(sslPointer))
    else { return 0 }
    guard let expected = link.expectedFingerprint else { return 1 }
    guard let certificate = X509_STORE_CTX_get0_cert(store), let actual = Fingerprint.sha256(of: certificate)
    else {
        link.fingerprintFailure = "remote certificate fingerprint could not be computed"
        return 0
    }
    guard Fingerprint.normalized(actual) == expected else {
        link.fingerprintFailure =
            "remote certificate fingerprint mismatch: SDP says \(expected), certificate is \(actual)"
        return 0
    }
    return 1
}
