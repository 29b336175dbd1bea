import Crypto
import STUN

/// Long-term credential checks (RFC 8489 section 9.2) with TURN REST usernames, and
/// stateless nonces.
extension AllocationTable {
    /// A request that passed authentication.
    struct Authenticated {
        let username: String
        let key: [UInt8]
        let sha256: Bool
    }

    /// Checks the request's credentials; on failure appends the error reply (if the client's 401
    /// budget allows) and returns `nil`.
    mutating func authenticate(
        _ request: STUNMessage, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) -> Authenticated? {
        guard request.contains(.messageIntegrity) || request.contains(.messageIntegritySHA256) else {
            challenge(request, from: fiveTuple, code: ErrorCode.unauthorized, now: now, actions: &actions)
            return nil
        }
        guard let username = try? request.attribute(Username.self)?.text,
            let realm = try? request.attribute(Realm.self)?.text,
            let nonce = try? request.attribute(Nonce.self)?.text
        else {
            actions.append(errorResponse(to: request, from: fiveTuple, code: ErrorCode.badRequest, key: nil))
            return nil
        }
        guard isFresh(nonce: nonce, for: fiveTuple.client.ip, now: now) else {
            challenge(request, from: fiveTuple, code: ErrorCode.staleNonce, now: now, actions: &actions)
            return nil
        }
        guard realm == configuration.realm, let expiry = TURNCredentials.expiry(ofUsername: username), now < expiry
        else {
            challenge(request, from: fiveTuple, code: ErrorCode.unauthorized, now: now, actions: &actions)
            return nil
        }
        let password = TURNCredentials.password(secret: configuration.secret, username: username)
        let key = MessageIntegrity.longTermKey(username: username, realm: realm, password: password)
        guard case .valid(let sha256) = request.verifyIntegrity(key: key) else {
            challenge(request, from: fiveTuple, code: ErrorCode.unauthorized, now: now, actions: &actions)
            return nil
        }
        return Authenticated(username: username, key: key, sha256: sha256)
    }

    /// A 401 or 438 with REALM and a fresh NONCE, unless this client IP is over its budget.
    mutating func challenge(
        _ request: STUNMessage, from fiveTuple: FiveTuple, code: Int, now: UnixTime, actions: inout [TURNAction]
    ) {
        let ip = fiveTuple.client.ip
        var bucket =
            unauthorizedReplies[ip]
            ?? TokenBucket(
                rate: configuration.unauthorizedRepliesPerSecond, capacity: configuration.unauthorizedReplyBurst,
                now: now)
        let tracked =
            unauthorizedReplies[ip] != nil || unauthorizedReplies.count < AllocationTable.maximumTrackedClients
        guard tracked, bucket.take(1, now: now) else {
            statistics.unauthorizedRepliesSuppressed += 1
            return
        }
        unauthorizedReplies[ip] = bucket
        let extra = [
            STUNAttribute(type: .realm, value: Array(configuration.realm.utf8)),
            STUNAttribute(type: .nonce, value: Array(makeNonce(for: ip, now: now).utf8)),
        ]
        actions.append(errorResponse(to: request, from: fiveTuple, code: code, key: nil, extra: extra))
    }

    /// A nonce that needs no server state: its expiry time in hex and a MAC binding it to the
    /// client IP, so it cannot be replayed from elsewhere or kept past its lifetime.
    func makeNonce(for ip: IPAddress, now: UnixTime) -> String {
        let expiry = String(UInt64(max(0, (now + configuration.nonceLifetime).seconds)), radix: 16)
        return expiry + "-" + nonceMAC(expiry: expiry, ip: ip)
    }

    func isFresh(nonce: String, for ip: IPAddress, now: UnixTime) -> Bool {
        let parts = nonce.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, parts[0].count <= 16, let expiry = UInt64(parts[0], radix: 16),
            now < UnixTime(seconds: Double(expiry))
        else { return false }
        let expected = Array(nonceMAC(expiry: String(parts[0]), ip: ip).utf8)
        return constantTimeEquals(Array(parts[1].utf8), expected)
    }

    private func nonceMAC(expiry: String, ip: IPAddress) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(expiry.utf8) + ip.bytes, using: nonceKey)
        return mac.prefix(12).map { byte in String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16) }.joined()
    }
}

func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
