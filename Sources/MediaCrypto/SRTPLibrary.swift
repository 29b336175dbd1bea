import CSRTP

/// libsrtp's process-wide state. `srtp_init()` must run once before any session is made; a
/// global `let` is initialized lazily, exactly once, thread-safely.
enum SRTPLibrary {
    private static let initialization: Int32 = Int32(bitPattern: srtp_init().rawValue)

    /// Initializes libsrtp on first use; throws if that failed (then it always will).
    static func ensureInitialized() throws(MediaCryptoError) {
        let status = initialization
        guard status == 0 else { throw .srtp(operation: "srtp_init", status: status) }
    }
}
