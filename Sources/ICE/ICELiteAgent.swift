import STUN

/// The ICE credentials of one side of a session (RFC 8445 section 5.3): `a=ice-ufrag` and
/// `a=ice-pwd` in its SDP.
public struct ICECredentials: Sendable, Hashable {
    public var ufrag: String
    public var password: String

    public init(ufrag: String, password: String) {
        self.ufrag = ufrag
        self.password = password
    }
}

/// The server side of ICE for one browser session, as an ICE-lite agent (RFC 8445 section 2.5):
/// it never sends checks, it answers the browser's, learns which of the browser's addresses
/// work, follows the browser's nomination and watches consent (RFC 7675).
///
/// Sans-IO: datagrams and time in, datagrams and events out. The IO shell hands over every
/// STUN datagram of the session's media port together with its source, calls
/// ``poll(now:)`` no later than ``nextDeadline``, and sends media only to ``selectedAddress``,
/// accepting it only from ``isAuthenticated(_:)`` sources.
public struct ICELiteAgent: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Without an authenticated check from the selected address for this long, consent is
        /// lost (RFC 7675 section 5.1: 30 seconds). Browsers check about every 5 seconds.
        public var consentTimeout: Duration = .seconds(30)
        /// Browser addresses remembered as authenticated; a session has a handful of candidate
        /// pairs, and a bound keeps a flood of checks from growing the table.
        public var maximumAuthenticatedAddresses = 16

        public init() {}
    }

    /// What the IO shell must do, or learn, after an event.
    public enum Output: Sendable, Hashable {
        /// Send this STUN response to the address the request came from.
        case send([UInt8], to: TransportAddress)
        /// The browser nominated this address (USE-CANDIDATE): media goes there from now on.
        case selected(TransportAddress)
        /// No authenticated check from the selected address within the consent timeout: stop
        /// sending media (RFC 7675 section 5.1).
        case consentLost(TransportAddress)
    }

    public let configuration: Configuration
    public let local: ICECredentials
    /// The browser's credentials, once its SDP is known; checks must then name its ufrag.
    public var remote: ICECredentials?
    /// Where media goes: the browser's nominated address, while consent holds. Always an
    /// authenticated address (``isAuthenticated(_:)`` is true for it: it is never evicted, and
    /// losing its consent clears it), which lets a caller compare against it before looking up.
    public private(set) var selectedAddress: TransportAddress?

    /// The last authenticated check from each browser address.
    private var lastCheck: [TransportAddress: ContinuousClock.Instant] = [:]
    private let localKey: [UInt8]

    public init(local: ICECredentials, remote: ICECredentials? = nil, configuration: Configuration = Configuration()) {
        self.local = local
        self.remote = remote
        self.configuration = configuration
        self.localKey = MessageIntegrity.shortTermKey(password: local.password)
    }

    /// The server ufrag a connectivity check names (USERNAME is "<server ufrag>:<browser ufrag>",
    /// RFC 8445 section 7.2.2): how a media port shared by many sessions tells whose agent a
    /// check from a new address is for. Nil for anything but a Binding request with a USERNAME.
    public static func localUsernameFragment(ofCheck datagram: [UInt8]) -> String? {
        guard datagram.first.map({ $0 < 4 }) == true, let request = try? STUNMessage(decoding: datagram),
            request.type == .request(.binding), let username = try? request.attribute(Username.self),
            let ufrag = username.text.split(separator: ":", maxSplits: 1).first
        else { return nil }
        return String(ufrag)
    }

    /// True once `address` has sent a check that carried our credentials and has not been
    /// silent for longer than the consent timeout: media from anywhere else is not this session's.
    public func isAuthenticated(_ address: TransportAddress) -> Bool { lastCheck[address] != nil }

    /// When ``poll(now:)`` must run next, if anything is waiting for time.
    public var nextDeadline: ContinuousClock.Instant? {
        lastCheck.values.min().map { $0 + configuration.consentTimeout }
    }

    // MARK: Events

    /// A STUN datagram arrived from `source`. Binding requests get a response (success, or
    /// 400/401/487); anything else (indications, responses, garbage) is dropped.
    public mutating func stunReceived(
        _ bytes: [UInt8], from source: TransportAddress, now: ContinuousClock.Instant
    ) -> [Output] {
        guard let request = try? STUNMessage(decoding: bytes), request.type == .request(.binding) else { return [] }
        // RFC 8445 section 7.2.2: checks carry FINGERPRINT; without it this is not ICE traffic.
        guard request.contains(.fingerprint) else { return [] }
        switch check(request) {
        case .failure(let error):
            return [.send(errorResponse(to: request, error), to: source)]
        case .success(let nominated):
            var outputs: [Output] = []
            remember(source, now: now)
            outputs.append(.send(successResponse(to: request, source: source), to: source))
            if nominated, selectedAddress != source {
                selectedAddress = source
                outputs.append(.selected(source))
            }
            return outputs
        }
    }

    /// Time passed: forgets addresses that stopped checking and reports lost consent.
    public mutating func poll(now: ContinuousClock.Instant) -> [Output] {
        var outputs: [Output] = []
        for (address, last) in lastCheck where now - last >= configuration.consentTimeout {
            lastCheck[address] = nil
            if address == selectedAddress {
                selectedAddress = nil
                outputs.append(.consentLost(address))
            }
        }
        return outputs
    }

    // MARK: Checking a request

    /// Why a Binding request is refused, as its STUN error response says.
    enum CheckError: Error {
        /// 400: USERNAME, MESSAGE-INTEGRITY or PRIORITY missing or malformed.
        case badRequest(String)
        /// 401: not our ufrag, not the browser's, or the integrity does not verify.
        case unauthorized(String)
        /// 487: the browser claims the controlled role, which an ICE-lite agent always has.
        case roleConflict
    }

    /// Verifies a Binding request; on success, says whether it nominates its pair.
    private func check(_ request: STUNMessage) -> Result<Bool, CheckError> {
        guard let username = try? request.attribute(Username.self) else {
            return .failure(.badRequest("USERNAME missing"))
        }
        // RFC 8445 section 7.2.2: "<our ufrag>:<their ufrag>".
        let parts = username.text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == local.ufrag else { return .failure(.unauthorized("unknown ufrag")) }
        if let remote, parts[1] != remote.ufrag { return .failure(.unauthorized("unknown remote ufrag")) }
        switch request.verifyIntegrity(key: localKey) {
        case .absent: return .failure(.badRequest("MESSAGE-INTEGRITY missing"))
        case .invalid: return .failure(.unauthorized("integrity check failed"))
        case .valid: break
        }
        guard (try? request.attribute(Priority.self)) != nil else {
            return .failure(.badRequest("PRIORITY missing"))
        }
        if request.contains(.iceControlled), !request.contains(.iceControlling) { return .failure(.roleConflict) }
        return .success(request.contains(.useCandidate))
    }

    private mutating func remember(_ source: TransportAddress, now: ContinuousClock.Instant) {
        if lastCheck[source] == nil, lastCheck.count >= configuration.maximumAuthenticatedAddresses,
            let oldest = lastCheck.filter({ $0.key != selectedAddress }).min(by: { $0.value < $1.value })?.key
        {
            lastCheck[oldest] = nil
        }
        lastCheck[source] = now
    }

    // MARK: Responses

    private func successResponse(to request: STUNMessage, source: TransportAddress) -> [UInt8] {
        var response = STUNMessage(type: .success(.binding), transactionID: request.transactionID)
        response.append(XORMappedAddress(source))
        return response.encode(integrity: .sha1(key: localKey), fingerprint: true)
    }

    /// Error responses carry no MESSAGE-INTEGRITY when the request's could not be trusted
    /// (RFC 8489 section 9.1.3); a role conflict comes from a verified request and is signed.
    private func errorResponse(to request: STUNMessage, _ error: CheckError) -> [UInt8] {
        var response = STUNMessage(type: .error(.binding), transactionID: request.transactionID)
        switch error {
        case .badRequest(let reason):
            response.append(ErrorCode(code: 400, reason: reason))
            return response.encode(fingerprint: true)
        case .unauthorized(let reason):
            response.append(ErrorCode(code: 401, reason: reason))
            return response.encode(fingerprint: true)
        case .roleConflict:
            response.append(ErrorCode(code: 487, reason: "Role Conflict: this ICE-lite agent is controlled"))
            return response.encode(integrity: .sha1(key: localKey), fingerprint: true)
        }
    }
}
