import Crypto

/// Time-limited TURN credentials in the "TURN REST API" form coturn uses
/// (draft-uberti-behave-turn-rest-00, coturn's `use-auth-secret`):
/// the username is `expiry:peerid` with `expiry` a Unix time, and the password is
/// `base64(HMAC-SHA1(secret, username))`.
///
/// The signalling server mints them for each participant; Parley's TURN server, or a coturn
/// started with `--use-auth-secret --static-auth-secret=<same secret>`, checks them without
/// any shared state.
public enum TURNCredentials {
    /// A username and password to hand to a browser in `RTCIceServer`.
    public struct Minted: Hashable, Sendable {
        public var username: String
        public var password: String
    }

    /// Mints credentials for `peerID` valid until `now + ttl` seconds.
    public static func mint(secret: String, peerID: String, now: UnixTime, ttl: Double = 86_400) -> Minted {
        let expiry = Int64((now.seconds + ttl).rounded(.down))
        let username = peerID.isEmpty ? "\(expiry)" : "\(expiry):\(peerID)"
        return Minted(username: username, password: password(secret: secret, username: username))
    }

    /// `base64(HMAC-SHA1(secret, username))`.
    public static func password(secret: String, username: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(username.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return base64(Array(mac))
    }

    /// The expiry time in a REST username: the digits before the first `:` (or the whole
    /// username); `nil` when that is not a number.
    public static func expiry(ofUsername username: String) -> UnixTime? {
        let prefix = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !prefix.isEmpty, prefix.count <= 12, let value = Int64(prefix) else { return nil }
        return UnixTime(seconds: Double(value))
    }

    /// Standard base64 with padding (RFC 4648 section 4).
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var output: [Character] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let b0 = UInt32(chunk[chunk.startIndex])
            let b1 = chunk.count > 1 ? UInt32(chunk[chunk.startIndex + 1]) : 0
            let b2 = chunk.count > 2 ? UInt32(chunk[chunk.startIndex + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(triple >> 18 & 0x3F)])
            output.append(alphabet[Int(triple >> 12 & 0x3F)])
            output.append(chunk.count > 1 ? alphabet[Int(triple >> 6 & 0x3F)] : "=")
            output.append(chunk.count > 2 ? alphabet[Int(triple & 0x3F)] : "=")
            index += 3
        }
        return String(output)
    }
}
