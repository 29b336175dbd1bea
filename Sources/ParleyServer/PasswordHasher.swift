import Crypto
import CryptoExtras
import Foundation

/// Room passwords, stored as salted scrypt hashes in PHC-like form
/// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64), compared in constant time.
///
/// scrypt with N = 2^15 costs about 32 MiB and tens of milliseconds per attempt: cheap for one
/// person joining, expensive for someone guessing, together with the per-IP attempt limit.
enum PasswordHasher {
    /// log2 of scrypt's N for new hashes; existing hashes carry their own.
    static let defaultLogRounds = 15
    private static let blockSize = 8
    private static let parallelism = 1
    private static let outputBytes = 32

    static func hash(_ password: String, logRounds: Int = defaultLogRounds) -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let derived = derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        return
            "$scrypt$ln=\(logRounds),r=\(blockSize),p=\(parallelism)$\(salt.base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// Whether `password` matches `encoded`. A malformed hash matches nothing.
    static func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$")
        guard parts.count == 4, parts[0] == "scrypt",
            let parameters = parseParameters(parts[1]),
            let salt = Data(base64Encoded: String(parts[2])),
            let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let derived = derive(
            password, salt: salt, logRounds: parameters.logRounds, blockSize: parameters.blockSize,
            parallelism: parameters.parallelism)
        return constantTimeEqual(derived, expected)
    }

    private static func derive(_ password: String, salt: Data, logRounds: Int, blockSize: Int, parallelism: Int) -> Data
    {
        // Parameters are ours or parsed within bounds below, so derivation cannot fail short of
        // running out of memory.
        let key = try! KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: outputBytes, rounds: 1 << logRounds,
            blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { Data($0) }
    }

    private static func parseParameters(_ text: Substring) -> (logRounds: Int, blockSize: Int, parallelism: Int)? {
        var values: [Substring: Int] = [:]
        for pair in text.split(separator: ",") {
            let keyValue = pair.split(separator: "=")
            guard keyValue.count == 2, let value = Int(keyValue[1]) else { return nil }
            values[keyValue[0]] = value
        }
        // Bounds so that a tampered database cannot make verification take forever.
        guard let ln = values["ln"], (10...20).contains(ln), let r = values["r"], (1...16).contains(r),
            let p = values["p"], (1...4).contains(p)
        else { return nil }
        return (ln, r, p)
    }

    private static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) {
            difference |= x ^ y
        }
        return difference == 0
    }
}
