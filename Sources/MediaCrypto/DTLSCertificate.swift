import COpenSSL

/// A self-signed ECDSA P-256 certificate and its key, made once per process (RFC 8827 section
/// 6.5), with the DTLS configuration every ``DTLSEndpoint`` using it shares.
///
/// WebRTC does not trust certificates through a CA: each side puts the SHA-256 digest of its
/// certificate in SDP (`a=fingerprint`, RFC 8122) and checks the peer's certificate against it
/// (RFC 5763 section 5), so a self-signed one is all it takes. P-256 ECDSA is what browsers
/// generate themselves and the cheapest to sign with.
///
/// Immutable after init; OpenSSL allows `SSL_new` on one configured `SSL_CTX` from any thread,
/// hence `@unchecked Sendable`.
public final class DTLSCertificate: @unchecked Sendable {
    /// SHA-256 fingerprint as in SDP a=fingerprint (RFC 8122): uppercase hex pairs joined by ":".
    public let fingerprintSHA256: String

    /// The `SSL_CTX *` endpoints are made from: DTLS 1.2 only, this certificate, use_srtp.
    let context: OpaquePointer
    private let certificate: OpaquePointer
    private let key: OpaquePointer

    /// Ciphers Chromium offers for DTLS 1.2 with an ECDSA certificate (AEAD only).
    static let cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"

    /// A new key pair and certificate valid from a day ago for a year; the validity period
    /// matters little, as peers check the fingerprint and not the dates (RFC 8827 section 6.5).
    public static func generate(commonName: String = "parley") throws(MediaCryptoError) -> DTLSCertificate {
        OpenSSLErrors.clear()
        guard let key = parley_generate_p256_key() else { throw OpenSSLErrors.error("EVP_EC_gen(P-256)") }
        guard let certificate = X509_new() else {
            EVP_PKEY_free(key)
            throw OpenSSLErrors.error("X509_new")
        }
        do throws(MediaCryptoError) {
            try fill(certificate, commonName: commonName, key: key)
            guard let fingerprint = Fingerprint.sha256(of: certificate) else {
                throw OpenSSLErrors.error("X509_digest")
            }
            let context = try makeContext(certificate: certificate, key: key)
            return DTLSCertificate(fingerprint: fingerprint, context: context, certificate: certificate, key: key)
        } catch {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw error
        }
    }

    private init(fingerprint: String, context: OpaquePointer, certificate: OpaquePointer, key: OpaquePointer) {
        self.fingerprintSHA256 = fingerprint
        self.context = context
        self.certificate = certificate
        self.key = key
    }

    deinit {
        SSL_CTX_free(context)
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    private static func fill(_ certificate: OpaquePointer, commonName: String, key: OpaquePointer)
        throws(MediaCryptoError)
    {
        guard X509_set_version(certificate, 2) == 1 else { throw OpenSSLErrors.error("X509_set_version") }
        // A random 63-bit positive serial number (RFC 5280 section 4.1.2.2).
        guard let serial = BN_new() else { throw OpenSSLErrors.error("BN_new") }
        defer { BN_free(serial) }
        guard BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1,
            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nil
        else { throw OpenSSLErrors.error("serial number") }
        guard X509_gmtime_adj(X509_getm_notBefore(certificate), -86_400) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), 365 * 86_400) != nil
        else { throw OpenSSLErrors.error("X509_gmtime_adj") }
        guard let name = X509_get_subject_name(certificate),
            X509_NAME_add_entry_by_txt(name, "CN", parley_mbstring_asc(), commonName, -1, -1, 0) == 1,
            X509_set_issuer_name(certificate, name) == 1
        else { throw OpenSSLErrors.error("X509 name") }
        guard X509_set_pubkey(certificate, key) == 1 else { throw OpenSSLErrors.error("X509_set_pubkey") }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else { throw OpenSSLErrors.error("X509_sign") }
    }

    /// The DTLS settings Chromium interoperates with (RFC 8827 section 6.5, RFC 5764).
    private static func makeContext(certificate: OpaquePointer, key: OpaquePointer) throws(MediaCryptoError)
        -> OpaquePointer
    {
        guard let context = SSL_CTX_new(DTLS_method()) else { throw OpenSSLErrors.error("SSL_CTX_new") }
        guard parley_ctx_set_dtls12_only(context) == 1 else {
            SSL_CTX_free(context)
            throw OpenSSLErrors.error("DTLS 1.2 only")
        }
        guard SSL_CTX_set_cipher_list(context, cipherList) == 1 else {
            SSL_CTX_free(context)
            throw OpenSSLErrors.error("SSL_CTX_set_cipher_list")
        }
        guard SSL_CTX_use_certificate(context, certificate) == 1, SSL_CTX_use_PrivateKey(context, key) == 1,
            SSL_CTX_check_private_key(context) == 1
        else {
            SSL_CTX_free(context)
            throw OpenSSLErrors.error("SSL_CTX_use_certificate")
        }
        _ = SSL_CTX_set_options(context, parley_op_no_query_mtu())
        parley_ctx_disable_session_cache(context)
        return context
    }
}
