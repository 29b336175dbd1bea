import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The certificate HTTPS is served with, replaceable while the server runs.
///
/// NIOSSL asks for the certificate and key at every TLS handshake (`sslContextCallback`), and
/// this hands it the current ones. A renewed certificate is then served from the next
/// connection on, while connections already open, and the calls on them, go on untouched.
public final class ServingCertificate: Sendable {
    private let current: Mutex<TLSIdentity>
    /// The files a reload reads again; nil for a self-signed identity, which is made, not
    /// renewed.
    public let files: (certificate: String, privateKey: String)?

    public init(_ identity: TLSIdentity, files: (certificate: String, privateKey: String)?) {
        current = Mutex(identity)
        self.files = files
    }

    /// The identity served now.
    public var identity: TLSIdentity {
        current.withLock { $0 }
    }

    /// What to serve with: the first identity's settings, with the certificate and key taken
    /// from `identity` at each handshake.
    public var tlsConfiguration: TLSConfiguration {
        var configuration = identity.configuration
        configuration.sslContextCallback = { [self] _, promise in
            let served = identity.configuration
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = served.certificateChain
            override.privateKey = served.privateKey
            promise.succeed(override)
        }
        return configuration
    }

    /// Reads the certificate files again and serves what they hold from the next handshake on.
    /// Files that cannot be used (missing, not PEM, a key that is not the certificate's) throw
    /// and change nothing: the previous certificate stays in service.
    @discardableResult
    public func reload() throws(TLSSetupError) -> TLSIdentity {
        guard let files else { return identity }
        let fresh = try TLSIdentity.load(certificateFile: files.certificate, privateKeyFile: files.privateKey)
        current.withLock { $0 = fresh }
        return fresh
    }
}

/// Reloads the certificate files on SIGHUP (`systemctl reload`, certbot's deploy hook), so
/// that a renewal needs no restart and ends no call. Without certificate files there is nothing
/// to reload, and SIGHUP is only logged: a server that `systemctl reload` would stop, ending
/// every call, helps nobody.
struct ReloadCertificateOnHangup: Service {
    let certificate: ServingCertificate?
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                reload()
            }
        }
    }

    private func reload() {
        guard let certificate, certificate.files != nil else {
            logger.notice("SIGHUP: nothing to reload (no --tls-cert and --tls-key files)")
            return
        }
        let before = certificate.identity.fingerprint
        do {
            let fresh = try certificate.reload()
            logger.notice(
                fresh.fingerprint == before
                    ? "TLS certificate read again on SIGHUP: unchanged" : "TLS certificate reloaded on SIGHUP",
                metadata: ["certificate-sha256": "\(fresh.fingerprint)"])
            if let warning = fresh.expiryWarning() {
                logger.warning("\(warning)")
            }
        } catch {
            logger.error(
                "TLS certificate not reloaded, still serving the previous one: \(error)",
                metadata: ["certificate-sha256": "\(before)"])
        }
    }
}
