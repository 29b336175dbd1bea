import STUN

/// Binding, Allocate, Refresh, CreatePermission and ChannelBind requests (RFC 8489 and RFC 8656
/// sections 7–12).
extension AllocationTable {
    /// Attribute types this server understands; any other comprehension-required type in a
    /// request is answered with 420 (RFC 8489 section 6.3.1). EVEN-PORT is honoured (an even
    /// relay port) but its R bit is not: RESERVATION-TOKEN is not supported and gets 420.
    static let understoodAttributes: Set<STUNAttributeType> = [
        .mappedAddress, .username, .messageIntegrity, .messageIntegritySHA256, .errorCode, .channelNumber,
        .lifetime, .xorPeerAddress, .data, .realm, .nonce, .requestedAddressFamily, .requestedTransport,
        .dontFragment, .xorMappedAddress, .evenPort, .priority, .useCandidate, .xorRelayedAddress,
    ]

    mutating func requestReceived(
        _ request: STUNMessage, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        let unknown = request.attributes.map(\.type).filter {
            $0.isComprehensionRequired && !AllocationTable.understoodAttributes.contains($0)
        }
        if !unknown.isEmpty {
            let extra = UnknownAttributes(unknown).encodedValue(transactionID: request.transactionID)
            actions.append(
                errorResponse(
                    to: request, from: fiveTuple, code: ErrorCode.unknownAttribute, key: nil,
                    extra: [STUNAttribute(type: .unknownAttributes, value: extra)]))
            return
        }
        switch request.type.method {
        case .binding:
            // STUN Binding is for everyone, no credentials (RFC 8489 section 6.3.1).
            var response = STUNMessage(type: .success(.binding), transactionID: request.transactionID)
            response.append(XORMappedAddress(fiveTuple.client))
            actions.append(.sendToClient(fiveTuple, finish(response, key: nil, sha256: false, request: request)))
        case .allocate:
            allocate(request, from: fiveTuple, now: now, actions: &actions)
        case .refresh, .createPermission, .channelBind:
            guard let auth = authenticate(request, from: fiveTuple, now: now, actions: &actions) else { return }
            guard var allocation = allocations[fiveTuple], now < allocation.expiry else {
                actions.append(
                    errorResponse(
                        to: request, from: fiveTuple, code: ErrorCode.allocationMismatch, key: auth.key,
                        sha256: auth.sha256))
                return
            }
            guard allocation.username == auth.username else {
                actions.append(
                    errorResponse(
                        to: request, from: fiveTuple, code: ErrorCode.wrongCredentials, key: auth.key,
                        sha256: auth.sha256))
                return
            }
            let outcome: Result<[STUNAttribute], RequestError>
            switch request.type.method {
            case .refresh: outcome = refresh(request, allocation: &allocation, now: now)
            case .createPermission: outcome = createPermission(request, allocation: &allocation, now: now)
            default: outcome = channelBind(request, allocation: &allocation, now: now)
            }
            switch outcome {
            case .success(let attributes):
                var response = STUNMessage(type: .success(request.type.method), transactionID: request.transactionID)
                response.attributes = attributes
                if request.type.method == .refresh && allocation.expiry <= now {
                    removeAllocation(fiveTuple, actions: &actions)
                } else {
                    allocations[fiveTuple] = allocation
                }
                actions.append(
                    .sendToClient(fiveTuple, finish(response, key: auth.key, sha256: auth.sha256, request: request)))
            case .failure(let error):
                if error.code == ErrorCode.forbidden { statistics.forbiddenPeers += 1 }
                actions.append(
                    errorResponse(to: request, from: fiveTuple, code: error.code, key: auth.key, sha256: auth.sha256))
            }
        default:
            actions.append(errorResponse(to: request, from: fiveTuple, code: ErrorCode.badRequest, key: nil))
        }
    }

    /// An error code for a request that authenticated but cannot be granted.
    struct RequestError: Error {
        let code: Int
    }

    /// RFC 8656 section 7.2.
    mutating func allocate(
        _ request: STUNMessage, from fiveTuple: FiveTuple, now: UnixTime, actions: inout [TURNAction]
    ) {
        // A retransmitted Allocate gets the same answer, before authentication: the nonce in it
        // may have gone stale since (RFC 8656 section 7.2, "the server SHOULD ... resend").
        if let existing = allocations[fiveTuple] {
            if existing.allocateTransaction == request.transactionID {
                actions.append(.sendToClient(fiveTuple, existing.allocateResponse))
                return
            }
        }
        if let port = pendingPortByTuple[fiveTuple],
            pendingByRelayPort[port]?.request.transactionID == request.transactionID
        {
            return  // still opening the socket for this very request
        }
        guard let auth = authenticate(request, from: fiveTuple, now: now, actions: &actions) else { return }
        func fail(_ code: Int) {
            actions.append(errorResponse(to: request, from: fiveTuple, code: code, key: auth.key, sha256: auth.sha256))
        }
        if allocations[fiveTuple] != nil || pendingPortByTuple[fiveTuple] != nil {
            return fail(ErrorCode.allocationMismatch)
        }
        guard let transport = try? request.attribute(RequestedTransport.self) else { return fail(ErrorCode.badRequest) }
        guard transport == .udp else { return fail(ErrorCode.unsupportedTransportProtocol) }
        guard
            let family = try? request.attribute(RequestedAddressFamily.self)
                ?? (configuration.relayAddress.isIPv4 ? .ipv4 : .ipv6)
        else { return fail(ErrorCode.badRequest) }
        guard (family == .ipv4) == configuration.relayAddress.isIPv4 else {
            return fail(ErrorCode.addressFamilyNotSupported)
        }
        guard (allocationsByUsername[auth.username] ?? 0) < configuration.maximumAllocationsPerUsername else {
            return fail(ErrorCode.allocationQuotaReached)
        }
        guard allocations.count + pendingByRelayPort.count < configuration.maximumAllocations,
            let port = freeRelayPort(even: request.contains(.evenPort))
        else { return fail(ErrorCode.insufficientCapacity) }
        let requested = (try? request.attribute(Lifetime.self)).flatMap { $0.map { Double($0.seconds) } }
        let lifetime = min(
            max(requested ?? configuration.defaultLifetime, configuration.defaultLifetime),
            configuration.maximumLifetime)
        let pending = PendingAllocation(
            fiveTuple: fiveTuple, request: request, username: auth.username, key: auth.key,
            integritySHA256: auth.sha256,
            lifetime: lifetime, attempts: 0)
        pendingByRelayPort[port] = pending
        pendingPortByTuple[fiveTuple] = port
        actions.append(.bindRelay(relayPort: port))
    }

    /// RFC 8656 section 8: a new lifetime, 0 deletes.
    func refresh(_ request: STUNMessage, allocation: inout Allocation, now: UnixTime) -> Result<
        [STUNAttribute], RequestError
    > {
        guard let requested = try? request.attribute(Lifetime.self)?.seconds ?? UInt32(configuration.defaultLifetime)
        else { return .failure(RequestError(code: ErrorCode.badRequest)) }
        if let family = try? request.attribute(RequestedAddressFamily.self),
            (family == .ipv4) != configuration.relayAddress.isIPv4
        {
            return .failure(RequestError(code: ErrorCode.peerAddressFamilyMismatch))
        }
        let lifetime = requested == 0 ? 0 : min(Double(requested), configuration.maximumLifetime)
        allocation.expiry = now + lifetime
        return .success([
            STUNAttribute(
                type: .lifetime,
                value: Lifetime(seconds: UInt32(lifetime)).encodedValue(transactionID: request.transactionID))
        ])
    }

    /// RFC 8656 section 10: one permission per XOR-PEER-ADDRESS, all or none.
    func createPermission(_ request: STUNMessage, allocation: inout Allocation, now: UnixTime)
        -> Result<[STUNAttribute], RequestError>
    {
        guard let peers = try? request.attributes(XORPeerAddress.self), !peers.isEmpty else {
            return .failure(RequestError(code: ErrorCode.badRequest))
        }
        for peer in peers {
            if let error = check(peer: peer.address.ip, port: nil) { return .failure(error) }
        }
        let newIPs = Set(peers.map(\.address.ip)).filter { allocation.permissions[$0] == nil }
        guard allocation.permissions.count + newIPs.count <= configuration.maximumPermissionsPerAllocation else {
            return .failure(RequestError(code: ErrorCode.insufficientCapacity))
        }
        for peer in peers { allocation.permissions[peer.address.ip] = now + configuration.permissionLifetime }
        return .success([])
    }

    /// RFC 8656 section 11: bind (or refresh) a channel to a peer; also installs a permission.
    func channelBind(_ request: STUNMessage, allocation: inout Allocation, now: UnixTime)
        -> Result<[STUNAttribute], RequestError>
    {
        guard let number = (try? request.attribute(ChannelNumber.self))??.number,
            ChannelNumber.validRange.contains(number),
            let peer = (try? request.attribute(XORPeerAddress.self))??.address
        else { return .failure(RequestError(code: ErrorCode.badRequest)) }
        if let error = check(peer: peer.ip, port: peer.port) { return .failure(error) }
        if let bound = allocation.channels[number], bound.peer != peer, now < bound.expiry {
            return .failure(RequestError(code: ErrorCode.badRequest))
        }
        if let other = allocation.channelByPeer[peer], other != number {
            return .failure(RequestError(code: ErrorCode.badRequest))
        }
        let isNew = allocation.channels[number] == nil
        if isNew && allocation.channels.count >= configuration.maximumChannelsPerAllocation {
            return .failure(RequestError(code: ErrorCode.insufficientCapacity))
        }
        if allocation.permissions[peer.ip] == nil
            && allocation.permissions.count >= configuration.maximumPermissionsPerAllocation
        {
            return .failure(RequestError(code: ErrorCode.insufficientCapacity))
        }
        allocation.channels[number] = Allocation.Channel(peer: peer, expiry: now + configuration.channelLifetime)
        allocation.channelByPeer[peer] = number
        allocation.permissions[peer.ip] = now + configuration.permissionLifetime
        return .success([])
    }

    /// 403 for a forbidden peer (checked first, so every encoding of a forbidden address gets
    /// 403), then 443 for a family the relay does not have.
    func check(peer ip: IPAddress, port: UInt16?) -> RequestError? {
        let denial =
            port.map { configuration.policy.denial(for: TransportAddress(ip: ip, port: $0)) }
            ?? configuration.policy.denial(for: ip)
        if denial != nil { return RequestError(code: ErrorCode.forbidden) }
        if ip.isIPv4 != configuration.relayAddress.isIPv4 {
            return RequestError(code: ErrorCode.peerAddressFamilyMismatch)
        }
        return nil
    }
}
