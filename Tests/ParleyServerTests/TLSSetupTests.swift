import Crypto
import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import ParleyServer
import ServiceLifecycle
import SwiftASN1
import Testing
import X509

@Suite struct TLSSetupTests {
    /// A self-signed certificate names localhost, the loopback addresses, the listening host and
    /// the machine's name, is valid for about a year and has a fingerprint browsers would show.
    @Test func selfSignedCertificateCoversTheServersNames() throws {
        let now = Date()
        let names = SelfSignedNames.forServer(host: "192.168.1.20", hostname: "parley-box")
        let identity = try TLSIdentity.selfSigned(names: names, folder: nil, now: now)

        let sans = try #require(try identity.certificate.extensions.subjectAlternativeNames)
        let dnsNames = Set(sans.compactMap { if case .dnsName(let name) = $0 { name } else { nil } })
        let addresses = Set(sans.compactMap { if case .ipAddress(let bytes) = $0 { Array(bytes.bytes) } else { nil } })
        #expect(dnsNames == ["localhost", "parley-box", "parley-box.local"])
        #expect(addresses == [[127, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [192, 168, 1, 20]])

        let days = identity.certificate.notValidAfter.timeIntervalSince(now) / 86_400
        #expect((364...366).contains(days))
        #expect(identity.certificate.notValidBefore < now)
        #expect(identity.certificate.issuer == identity.certificate.subject)
        #expect(identity.isNewlyGenerated)
        #expect(identity.expiryWarning(now: now) == nil)
        // Self-signed: its own key verifies its signature.
        #expect(
            identity.certificate.publicKey.isValidSignature(identity.certificate.signature, for: identity.certificate))

        #expect(identity.fingerprint.wholeMatch(of: /([0-9A-F]{2}:){31}[0-9A-F]{2}/) != nil)
        #expect(identity.fingerprint == Self.fingerprint(of: identity.certificate))
    }

    /// A host name is listed as a name, a wildcard host as every address of the machine.
    @Test func listeningHostBecomesANameOrTheMachinesAddresses() {
        let named = SelfSignedNames.forServer(host: "calls.example.org", hostname: nil)
        #expect(named.dnsNames == ["localhost", "calls.example.org"])

        let wildcard = SelfSignedNames.forServer(host: "0.0.0.0", hostname: nil)
        #expect(!wildcard.ipAddresses.contains([0, 0, 0, 0]))
        #expect(wildcard.ipAddresses.contains([127, 0, 0, 1]))

        let bracketed = SelfSignedNames.forServer(host: "[::1]", hostname: "localhost")
        #expect(bracketed.dnsNames == ["localhost"])
        #expect(bracketed.ipAddresses.count == 2)
    }

    /// Kept in a folder, the certificate is made once and reused at the next start, with a key
    /// only its owner can read; a change of listening host makes a new one.
    @Test func selfSignedCertificateIsKeptAndReused() throws {
        try withTemporaryFolder { folder in
            let tlsFolder = folder + "/tls"
            let names = SelfSignedNames.forServer(host: "127.0.0.1", hostname: "parley-box")
            let first = try TLSIdentity.selfSigned(names: names, folder: tlsFolder)
            let second = try TLSIdentity.selfSigned(names: names, folder: tlsFolder)
            #expect(first.isNewlyGenerated)
            #expect(!second.isNewlyGenerated)
            #expect(second.fingerprint == first.fingerprint)

            let keyFile = tlsFolder + "/parley-key.pem"
            let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let key = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: keyFile, encoding: .utf8))
            #expect(key.publicKey == first.certificate.publicKey)

            let moved = try TLSIdentity.selfSigned(
                names: SelfSignedNames.forServer(host: "10.0.0.7", hostname: "parley-box"), folder: tlsFolder)
            #expect(moved.isNewlyGenerated)
            #expect(moved.fingerprint != first.fingerprint)

            // Years later it has expired, and is replaced.
            let later = try TLSIdentity.selfSigned(
                names: SelfSignedNames.forServer(host: "10.0.0.7", hostname: "parley-box"), folder: tlsFolder,
                now: Date().addingTimeInterval(400 * 86_400))
            #expect(later.isNewlyGenerated)
        }
    }

    /// PEM files (a certificate and its key) load into a configuration for the same certificate.
    @Test func loadsCertificateAndKeyFromPEMFiles() throws {
        try withTemporaryFolder { folder in
            let made = try TLSIdentity.selfSigned(
                names: SelfSignedNames.forServer(host: "127.0.0.1", hostname: nil), folder: folder)
            let loaded = try TLSIdentity.make(
                .files(certificate: folder + "/parley-cert.pem", privateKey: folder + "/parley-key.pem"),
                host: "127.0.0.1")
            #expect(loaded.fingerprint == made.fingerprint)
            #expect(!loaded.isNewlyGenerated)
            #expect(loaded.configuration.minimumTLSVersion == .tlsv12)
        }
    }

    /// A missing, unreadable or garbage file, or a key that is not the certificate's, stops the
    /// start with an error naming the file.
    @Test func badFilesAreNamedInTheError() throws {
        try withTemporaryFolder { folder in
            let names = SelfSignedNames.forServer(host: "127.0.0.1", hostname: nil)
            _ = try TLSIdentity.selfSigned(names: names, folder: folder + "/a")
            _ = try TLSIdentity.selfSigned(names: names, folder: folder + "/b")
            let certificate = folder + "/a/parley-cert.pem"
            let key = folder + "/a/parley-key.pem"
            let otherKey = folder + "/b/parley-key.pem"
            let garbage = folder + "/garbage.pem"
            try Data("this is not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))

            func failure(_ certificate: String, _ key: String) -> TLSSetupError? {
                do throws(TLSSetupError) {
                    _ = try TLSIdentity.load(certificateFile: certificate, privateKeyFile: key)
                    return nil
                } catch {
                    return error
                }
            }

            let missing = try #require(failure(folder + "/nowhere.pem", key))
            #expect(missing.problem == .unreadable)
            #expect(missing.path == folder + "/nowhere.pem")
            #expect(missing.message.contains(folder + "/nowhere.pem"))
            #expect(missing.message.contains("does not exist"))

            let notPEM = try #require(failure(garbage, key))
            #expect(notPEM.problem == .invalid)
            #expect(notPEM.path == garbage)
            #expect(notPEM.message.contains(garbage))

            let badKey = try #require(failure(certificate, garbage))
            #expect(badKey.problem == .invalid)
            #expect(badKey.path == garbage)
            #expect(badKey.message.contains(garbage))

            let folderAsFile = try #require(failure(certificate, folder))
            #expect(folderAsFile.problem == .unreadable)
            #expect(folderAsFile.message.contains("is a folder"))

            let mismatch = try #require(failure(certificate, otherKey))
            #expect(mismatch.problem == .keyMismatch)
            #expect(mismatch.path == otherKey)
            #expect(mismatch.message.contains(otherKey) && mismatch.message.contains(certificate))

            // A self-signed folder holding something unreadable is reported, not overwritten.
            let broken = folder + "/broken"
            try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: broken + "/parley-cert.pem"))
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: broken + "/parley-key.pem"))
            #expect(throws: TLSSetupError.self) {
                try TLSIdentity.selfSigned(
                    names: SelfSignedNames.forServer(host: "127.0.0.1", hostname: nil), folder: broken)
            }
        }
    }

    /// A generated configuration really serves TLS: a client that trusts the certificate gets
    /// through the handshake and a WebSocket echo at `localhost`; one that does not is refused.
    @Test func selfSignedConfigurationServesWebSocketsOverTLS() async throws {
        let identity = try TLSIdentity.selfSigned(
            names: SelfSignedNames.forServer(host: "127.0.0.1", hostname: nil), folder: nil)
        try await withTLSEchoServer(identity.configuration) { port in
            let reply = try await echo(port: port, trusting: identity)
            #expect(reply == "echo: hello")
            // The system's trust roots do not include it: the handshake fails.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(
                    url: "wss://localhost:\(port)/", tlsConfiguration: TLSConfiguration.makeClientConfiguration(),
                    logger: Self.quietLogger
                ) { _, _, _ in }
            }
        }
    }

    /// Renewed files are served from the next handshake on, without a restart; files that
    /// cannot be used leave the certificate in service as it was.
    @Test func reloadedCertificateIsServedFromTheNextHandshake() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-tls-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let names = SelfSignedNames.forServer(host: "127.0.0.1", hostname: nil)
        let first = try TLSIdentity.selfSigned(names: names, folder: folder + "/first")
        let renewed = try TLSIdentity.selfSigned(names: names, folder: folder + "/renewed")
        let certificateFile = folder + "/cert.pem"
        let keyFile = folder + "/key.pem"
        func serve(_ source: String) throws {
            for (name, target) in [("parley-cert.pem", certificateFile), ("parley-key.pem", keyFile)] {
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: "\(folder)/\(source)/\(name)", toPath: target)
            }
        }
        try serve("first")
        let serving = ServingCertificate(
            try TLSIdentity.load(certificateFile: certificateFile, privateKeyFile: keyFile),
            files: (certificateFile, keyFile))

        try await withTLSEchoServer(serving.tlsConfiguration) { port in
            let firstReply = try await echo(port: port, trusting: first)
            #expect(firstReply == "echo: hello")

            try serve("renewed")
            let reloaded = try serving.reload()
            #expect(reloaded.fingerprint == renewed.fingerprint)
            let renewedReply = try await echo(port: port, trusting: renewed)
            #expect(renewedReply == "echo: hello")
            await #expect(throws: (any Error).self) { try await echo(port: port, trusting: first) }

            // A key that is not the certificate's (a renewal caught halfway) changes nothing.
            try FileManager.default.removeItem(atPath: keyFile)
            try FileManager.default.copyItem(atPath: folder + "/first/parley-key.pem", toPath: keyFile)
            #expect(throws: TLSSetupError.self) { try serving.reload() }
            #expect(serving.identity.fingerprint == renewed.fingerprint)
            let stillRenewed = try await echo(port: port, trusting: renewed)
            #expect(stillRenewed == "echo: hello")
        }
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "tls-test")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs a WebSocket echo server over TLS with `configuration` on a free port for `body`.
    func withTLSEchoServer(
        _ configuration: TLSConfiguration, _ body: (_ port: Int) async throws -> Void
    ) async throws {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = try Application(
            router: Router(),
            server: .tls(
                .http1WebSocketUpgrade { _, _, _ in
                    .upgrade([:]) { inbound, outbound, _ in
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            if case .text(let text) = message { try await outbound.write(.text("echo: " + text)) }
                        }
                    }
                },
                tlsConfiguration: configuration),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Self.quietLogger)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Sends "hello" over `wss://localhost:port/` with a client that trusts only `identity`'s
    /// certificate, and returns the reply.
    func echo(port: Int, trusting identity: TLSIdentity) async throws -> String? {
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(identity.certificate.serializeAsPEM().pemString.utf8), format: .pem)
        ])
        let (replies, replySink) = AsyncStream.makeStream(of: String.self)
        try await WebSocketClient.connect(
            url: "wss://localhost:\(port)/", tlsConfiguration: trusting, logger: Self.quietLogger
        ) { inbound, outbound, _ in
            try await outbound.write(.text("hello"))
            var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
            if case .text(let text) = try await messages.next() { replySink.yield(text) }
            try await outbound.close(.normalClosure, reason: nil)
        }
        replySink.finish()
        var replyIterator = replies.makeAsyncIterator()
        return await replyIterator.next()
    }

    static func fingerprint(of certificate: Certificate) -> String {
        var serializer = DER.Serializer()
        try! serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes)
            .map { String(format: "%02X", $0) }
            .joined(separator: ":")
    }

    func withTemporaryFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-tls-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }
}
