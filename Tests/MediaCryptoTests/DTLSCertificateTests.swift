import MediaCrypto
import Testing

@Suite struct DTLSCertificateTests {
    /// The fingerprint is 32 uppercase hex pairs joined by colons (RFC 8122 section 5).
    @Test func fingerprintHasSDPFormat() throws {
        let fingerprint = Certificates.server.fingerprintSHA256
        let pairs = fingerprint.split(separator: ":", omittingEmptySubsequences: false)
        #expect(pairs.count == 32)
        #expect(pairs.allSatisfy { $0.count == 2 && $0.allSatisfy { "0123456789ABCDEF".contains($0) } })
    }

    /// Each generated certificate is a new key: fingerprints differ.
    @Test func generatedCertificatesDiffer() throws {
        let first = try DTLSCertificate.generate()
        let second = try DTLSCertificate.generate()
        #expect(first.fingerprintSHA256 != second.fingerprintSHA256)
    }
}
