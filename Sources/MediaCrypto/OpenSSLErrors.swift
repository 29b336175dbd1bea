import COpenSSL

/// OpenSSL reports failures on a per-thread queue; these read it into text and keep it from
/// leaking one operation's errors into the next.
enum OpenSSLErrors {
    /// Empties the calling thread's error queue, before an operation whose errors we will read.
    static func clear() {
        ERR_clear_error()
    }

    /// Every queued error as text, oldest first, and empties the queue.
    static func drain(fallback: String = "no error queued") -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? fallback : messages.joined(separator: "; ")
    }

    static func error(_ operation: String) -> MediaCryptoError {
        .openSSL(operation: operation, reason: drain())
    }
}

/// SDP fingerprints (RFC 8122 section 5): a certificate's digest as uppercase hex pairs
/// joined by colons.
enum Fingerprint {
    /// SHA-256 over the DER encoding of `certificate` (an `X509 *`), or nil if OpenSSL fails.
    static func sha256(of certificate: OpaquePointer) -> String? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer {
            X509_digest(certificate, EVP_sha256(), $0.baseAddress, &length)
        }
        guard ok == 1, length > 0, Int(length) <= digest.count else { return nil }
        return format(digest.prefix(Int(length)))
    }

    static func format(_ bytes: some Sequence<UInt8>) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]]) }.joined(separator: ":")
    }

    /// The form two fingerprints are compared in: case and separators do not matter.
    static func normalized(_ text: String) -> String {
        String(text.uppercased().filter { $0 != ":" && !$0.isWhitespace })
    }
}
