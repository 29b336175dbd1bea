import Crypto
import Foundation
import HummingbirdTLS
import SwiftASN1
import X509

/// Where the server's TLS certificate comes from.
public enum TLSMode: Sendable, Hashable {
    /// A certificate chain and its private key in PEM files, e.g. Let's Encrypt's
    /// `fullchain.pem` and `privkey.pem`.
    case files(certificate: String, privateKey: String)
    /// A certificate made at start for LAN use. Browsers warn about it once; kept in `folder`
    /// (if given) so that the warning is accepted once rather than at every restart.
    case selfSigned(folder: String?)
}

/// A TLS setting or file that cannot be used; the message names the file and what is wrong.
public struct TLSSetupError: Error, Hashable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        /// The file does not exist, is a folder, or cannot be read.
        case unreadable
        /// The file holds no usable PEM certificate or key.
        case invalid
        /// The private key is not the certificate's.
        case keyMismatch
        /// A generated certificate or key could not be made or saved.
        case cannotSave
    }

    public var problem: Problem
    /// The file at fault, if one is.
    public var path: String?
    public var message: String

    public init(_ problem: Problem, path: String?, _ message: String) {
        self.problem = problem
        self.path = path
        self.message = message
    }

    public var description: String { message }
}

/// What the server serves HTTPS and WSS with: the NIOSSL configuration, and the certificate
/// with its fingerprint, so that people can compare it with what their browser shows.
public struct TLSIdentity: Sendable {
    public var configuration: TLSConfiguration
    /// The server's own certificate (the first of the chain).
    public var certificate: Certificate
    /// SHA-256 of the certificate's DER encoding, as browsers show it: 32 upper-case hex pairs
    /// separated by colons.
    public var fingerprint: String
    /// For a self-signed identity: whether the certificate was made now (rather than reused
    /// from its folder), i.e. whether browsers will ask to accept it again.
    public var isNewlyGenerated: Bool

    /// The identity `mode` asks for. `host` is the address the server listens on; a
    /// self-signed certificate is made valid for it.
    public static func make(_ mode: TLSMode, host: String, now: Date = Date()) throws(TLSSetupError) -> TLSIdentity {
        switch mode {
        case .files(let certificate, let privateKey):
            try load(certificateFile: certificate, privateKeyFile: privateKey)
        case .selfSigned(let folder):
            try selfSigned(names: SelfSignedNames.forServer(host: host), folder: folder, now: now)
        }
    }

    /// Loads a certificate chain (the server's certificate first, then intermediates) and its
    /// private key from PEM files.
    public static func load(certificateFile: String, privateKeyFile: String) throws(TLSSetupError) -> TLSIdentity {
        let certificatePEM = try readFile(certificateFile, what: "TLS certificate")
        let keyPEM = try readFile(privateKeyFile, what: "TLS private key")
        return try identity(
            certificatePEM: certificatePEM, certificateFile: certificateFile,
            keyPEM: keyPEM, keyFile: privateKeyFile, isNewlyGenerated: false)
    }

    /// A self-signed certificate for `names`, valid for a year, with a new ECDSA P-256 key.
    ///
    /// With a `folder`, the certificate and key are kept there (`parley-cert.pem`, and
    /// `parley-key.pem` readable by its owner only) and reused while they still cover `names`
    /// for at least 30 more days, so that browsers keep trusting the exception people made.
    public static func selfSigned(
        names: SelfSignedNames, folder: String?, now: Date = Date()
    ) throws(TLSSetupError) -> TLSIdentity {
        guard let folder else {
            let (certificatePEM, keyPEM) = try generateSelfSigned(names: names, now: now)
            return try identity(
                certificatePEM: certificatePEM, certificateFile: nil, keyPEM: keyPEM, keyFile: nil,
                isNewlyGenerated: true)
        }
        let certificateFile = (folder as NSString).appendingPathComponent("parley-cert.pem")
        let keyFile = (folder as NSString).appendingPathComponent("parley-key.pem")
        let files = FileManager.default
        if files.fileExists(atPath: certificateFile) && files.fileExists(atPath: keyFile) {
            switch Result(catching: { () throws(TLSSetupError) in
                try load(certificateFile: certificateFile, privateKeyFile: keyFile)
            }) {
            case .success(let saved):
                if saved.covers(names, from: now, until: now.addingTimeInterval(30 * 86_400)) {
                    return saved
                }
            case .failure(let error) where error.problem == .keyMismatch:
                // A crash between writing the two files below; a new pair replaces them.
                break
            case .failure(let error):
                // Unreadable, or not PEM: reported, not overwritten, for it may not be ours.
                throw error
            }
        }
        let (certificatePEM, keyPEM) = try generateSelfSigned(names: names, now: now)
        try createFolder(folder)
        // Each file is replaced atomically; a crash between the two leaves a pair that does
        // not match, which the next start replaces.
        try writeAtomically(keyPEM, to: keyFile, permissions: 0o600)
        try writeAtomically(certificatePEM, to: certificateFile, permissions: 0o644)
        return try identity(
            certificatePEM: certificatePEM, certificateFile: certificateFile, keyPEM: keyPEM, keyFile: keyFile,
            isNewlyGenerated: true)
    }

    /// Whether the certificate is valid from `now` until `date` for every name in `names`.
    func covers(_ names: SelfSignedNames, from now: Date, until date: Date) -> Bool {
        guard certificate.notValidBefore <= now, certificate.notValidAfter >= date,
            let present = try? certificate.extensions.subjectAlternativeNames
        else { return false }
        let presentNames = Set(present)
        return names.generalNames.allSatisfy { presentNames.contains($0) }
    }

    /// A warning for the log if the certificate has expired or is close to it, else nil.
    public func expiryWarning(now: Date = Date()) -> String? {
        let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
        if certificate.notValidAfter <= now {
            return "the TLS certificate expired on \(certificate.notValidAfter); browsers will refuse it"
        }
        if certificate.notValidBefore > now {
            return "the TLS certificate is not valid before \(certificate.notValidBefore); check the clock"
        }
        return days < 14 ? "the TLS certificate expires in \(days) days (\(certificate.notValidAfter))" : nil
    }
}

/// The names a self-signed certificate vouches for (its subject alternative names).
public struct SelfSignedNames: Hashable, Sendable {
    public var dnsNames: [String]
    /// IPv4 (4 bytes) or IPv6 (16 bytes) addresses.
    public var ipAddresses: [[UInt8]]

    public init(dnsNames: [String], ipAddresses: [[UInt8]]) {
        var seenNames = Set<String>()
        self.dnsNames = dnsNames.map { $0.lowercased() }.filter { seenNames.insert($0).inserted }
        var seenAddresses = Set<[UInt8]>()
        self.ipAddresses = ipAddresses.filter { seenAddresses.insert($0).inserted }
    }

    /// `localhost`, `127.0.0.1`, `::1`, the listening `host`, and this machine's host name
    /// (also as `NAME.local`, which is how other machines on a LAN often reach it by mDNS).
    /// A wildcard host (`0.0.0.0`, `::`) stands for every address of this machine, so those
    /// are listed instead.
    public static func forServer(host: String, hostname: String? = machineHostname()) -> SelfSignedNames {
        var dnsNames = ["localhost"]
        var addresses: [[UInt8]] = [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]]
        if let address = ipAddressBytes(host) {
            if address.allSatisfy({ $0 == 0 }) {
                addresses += machineAddresses()
            } else {
                addresses.append(address)
            }
        } else if isDNSName(host) {
            dnsNames.append(host)
        }
        if let hostname, isDNSName(hostname), hostname.lowercased() != "localhost" {
            dnsNames.append(hostname)
            if !hostname.contains(".") { dnsNames.append(hostname + ".local") }
        }
        return SelfSignedNames(dnsNames: dnsNames, ipAddresses: addresses)
    }

    var generalNames: [GeneralName] {
        dnsNames.map { .dnsName($0) } + ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
    }

    /// The machine's host name, as `hostname` prints it.
    public static func machineHostname() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    /// Every IPv4 and IPv6 address of this machine's interfaces.
    static func machineAddresses() -> [[UInt8]] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses: [[UInt8]] = []
        var entry = list
        while let current = entry {
            entry = current.pointee.ifa_next
            guard let address = current.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin_addr) { [UInt8]($0) }
                }
                addresses.append(bytes)
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { [UInt8]($0) }
                }
                // Link-local addresses (fe80::/10) need a zone that URLs rarely carry.
                if !(bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80) { addresses.append(bytes) }
            default:
                break
            }
        }
        return addresses
    }

    /// The bytes of an IPv4 or IPv6 literal (`[::1]` brackets allowed), or nil for a name.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        let literal = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            return withUnsafeBytes(of: v4) { [UInt8]($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            return withUnsafeBytes(of: v6) { [UInt8]($0) }
        }
        return nil
    }

    /// Letters, digits, `-` and `.`, as host names in certificates are (RFC 5280 section 4.2.1.6).
    static func isDNSName(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
    }
}

// MARK: Steps

extension TLSIdentity {
    /// Builds the identity from PEM texts; `certificateFile` and `keyFile` only name the
    /// sources in errors (nil: generated in memory).
    private static func identity(
        certificatePEM: String, certificateFile: String?, keyPEM: String, keyFile: String?, isNewlyGenerated: Bool
    ) throws(TLSSetupError) -> TLSIdentity {
        let certificateName = certificateFile.map { "'\($0)'" } ?? "the generated certificate"
        let keyName = keyFile.map { "'\($0)'" } ?? "the generated key"

        let chain = (try? NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))) ?? []
        guard let first = chain.first, let der = try? first.toDERBytes(), let leaf = try? Certificate(derEncoded: der)
        else {
            throw TLSSetupError(
                .invalid, path: certificateFile,
                "\(certificateName) holds no PEM certificate (expected a block starting -----BEGIN CERTIFICATE-----)")
        }

        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        } catch {
            let encrypted = keyPEM.contains("ENCRYPTED")
            throw TLSSetupError(
                .invalid, path: keyFile,
                encrypted
                    ? "\(keyName) holds an encrypted private key; give Parley the key without a passphrase"
                    : "\(keyName) holds no PEM private key (expected a block starting -----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)"
            )
        }
        // A key that is not the certificate's would only fail at the first handshake, with a
        // message no one connects with the files; check now. Key types swift-certificates
        // cannot read are left to NIOSSL.
        if let parsedKey = try? Certificate.PrivateKey(pemEncoded: keyPEM), parsedKey.publicKey != leaf.publicKey {
            throw TLSSetupError(
                .keyMismatch, path: keyFile,
                "the private key in \(keyName) does not belong to the certificate in \(certificateName)")
        }

        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // TLS 1.0 and 1.1 are deprecated (RFC 8996); every browser that has WebRTC has 1.2.
        configuration.minimumTLSVersion = .tlsv12
        return TLSIdentity(
            configuration: configuration, certificate: leaf, fingerprint: fingerprint(ofDER: der),
            isNewlyGenerated: isNewlyGenerated)
    }

    /// SHA-256 of `der` as `AB:CD:…`.
    static func fingerprint(ofDER der: [UInt8]) -> String {
        SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// A new P-256 key and a certificate for `names` signed by it: PEM texts.
    private static func generateSelfSigned(
        names: SelfSignedNames, now: Date
    ) throws(TLSSetupError) -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                OrganizationName("Parley")
                // Informational only: browsers match the subject alternative names.
                CommonName("Parley self-signed")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                // No key usage extension: one without keyCertSign stops OpenSSL and BoringSSL
                // from treating the certificate as its own issuer, so a client that trusts it
                // explicitly (an imported certificate, a pinned one) would still refuse it.
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names.generalNames)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(key.publicKey),
                // An hour back, so that a client whose clock is a little behind accepts it.
                notValidBefore: now.addingTimeInterval(-3_600),
                // A year: browsers refuse leaf certificates valid for more than 398 days.
                notValidAfter: now.addingTimeInterval(365 * 86_400),
                issuer: subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key))
            return (try certificate.serializeAsPEM().pemString + "\n", key.pemRepresentation + "\n")
        } catch {
            throw TLSSetupError(.cannotSave, path: nil, "could not make a self-signed certificate: \(error)")
        }
    }

    /// Reads a small text file, with an error that names it and says what is wrong.
    private static func readFile(_ path: String, what: String) throws(TLSSetupError) -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw TLSSetupError(.unreadable, path: path, "the \(what) file '\(path)' does not exist")
        }
        guard !isFolder.boolValue else {
            throw TLSSetupError(.unreadable, path: path, "the \(what) file '\(path)' is a folder, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSSetupError(
                .unreadable, path: path, "the \(what) file '\(path)' cannot be read (check its permissions)")
        }
        // PEM certificate chains are a few KB; anything this large is the wrong file.
        guard data.count <= 1 << 20 else {
            throw TLSSetupError(
                .invalid, path: path, "the \(what) file '\(path)' is \(data.count) bytes, too large for PEM")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TLSSetupError(.invalid, path: path, "the \(what) file '\(path)' is not PEM text")
        }
        return text
    }

    private static func createFolder(_ folder: String) throws(TLSSetupError) {
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TLSSetupError(
                .cannotSave, path: folder, "cannot create the folder '\(folder)' for the TLS certificate: \(error)")
        }
    }

    /// Writes `text` to a temporary file created with `permissions`, then renames it over
    /// `path`: the key is never readable by others, not even for a moment, and a crash never
    /// leaves half a file.
    private static func writeAtomically(_ text: String, to path: String, permissions: mode_t) throws(TLSSetupError) {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else {
            throw TLSSetupError(.cannotSave, path: path, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: Int32 = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            written += result
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw TLSSetupError(
                .cannotSave, path: path, "cannot write '\(path)': \(String(cString: strerror(failure)))")
        }
    }
}
