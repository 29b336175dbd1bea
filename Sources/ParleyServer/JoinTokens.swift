import Foundation
import JWTKit
import Logging
import ParleySignaling

/// Signed join tokens for embedding Parley in another site: an HS256 JWT whose claims say
/// which room, under which name, with which role, until when.
///
/// ```json
/// {"room": "team-42", "name": "Ada", "role": "moderator", "exp": 1764068400}
/// ```
public struct JoinTokenClaims: JWTPayload, Equatable {
    public var room: String
    public var name: String
    public var role: Role
    public var exp: ExpirationClaim

    public init(room: String, name: String, role: Role, expires: Date) {
        self.room = room
        self.name = name
        self.role = role
        self.exp = ExpirationClaim(value: expires)
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and checks join tokens with one shared HS256 secret. Only HS256 is accepted: a token
/// claiming `alg: none` or any other algorithm fails, as does a wrong signature.
public struct JoinTokenAuthority: Sendable {
    private let keys: JWTKeyCollection

    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func sign(_ claims: JoinTokenClaims) async throws -> String {
        try await keys.sign(claims)
    }

    /// The outcome for the signalling hub: valid claims, or why the token was refused.
    public func check(_ token: String) async -> JoinCredentials.Token {
        guard token.utf8.count <= 4_096 else { return .invalid("the token is too long") }
        let claims: JoinTokenClaims
        do {
            claims = try await keys.verify(token, as: JoinTokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            return .invalid("it has expired")
        } catch {
            return .invalid("its signature or format is not valid")
        }
        guard let room = RoomName(claims.room), let name = DisplayName(claims.name) else {
            return .invalid("its room or name is not valid")
        }
        return .valid(JoinToken(room: room, name: name, role: claims.role))
    }
}

/// Signs a join token with the configured secret, or the one kept in the configured database.
public func mintJoinToken(
    _ configuration: ParleyConfiguration, room: RoomName, name: DisplayName, role: Role, expires: Date
) async throws -> String {
    let store = try await openStore(configuration, logger: Logger(label: "parley"))
    let secret: String
    do {
        secret = try await joinTokenSecret(configuration, store: store)
        try await store.close()
    } catch {
        try? await store.close()
        throw error
    }
    let authority = await JoinTokenAuthority(secret: secret)
    return try await authority.sign(
        JoinTokenClaims(room: room.rawValue, name: name.rawValue, role: role, expires: expires))
}
