import ParleySignaling

/// SplitMix64: a tiny seeded generator, so peer ids are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

typealias TestHub = SignalingHub

/// A hub for tests; resuming is off unless `resumeWindow` is given, so that a closed
/// connection leaves at once.
func makeHub(maxPeers: Int = 8, iceServers: [ICEServer] = [], resumeWindow: Duration = .zero) -> TestHub {
    SignalingHub(
        configuration: SignalingConfiguration(
            maxPeersPerRoom: maxPeers, iceServers: iceServers, resumeWindow: resumeWindow),
        random: SeededGenerator(state: 42))
}

extension SignalingHub {
    /// Opens `connection` and joins it to `room`; returns its peer id.
    mutating func openAndJoin(_ connection: UInt64, room: String, name: String = "Someone") -> PeerID {
        connectionOpened(ConnectionID(connection))
        let actions = messageReceived(
            .join(room: RoomName(room)!, name: DisplayName(name)!, audio: true, video: true),
            from: ConnectionID(connection))
        let joined = actions.first { if case .send(.joined, _) = $0 { true } else { false } }
        guard case .send(.joined(let you, _, _, _, _, _), _) = joined else {
            fatalError("join failed: \(actions)")
        }
        return you.id
    }
}

/// Every (connection, message) pair the actions deliver, broadcasts expanded.
func deliveries(_ actions: [SignalingAction]) -> [(ConnectionID, ServerMessage)] {
    actions.flatMap { action -> [(ConnectionID, ServerMessage)] in
        switch action {
        case .send(let message, let connection): [(connection, message)]
        case .broadcast(let message, let connections): connections.map { ($0, message) }
        case .close, .saveRoom, .saveChat, .scheduleAwayExpiry: []
        }
    }
}

/// The error codes the actions send to `connection`.
func errorCodes(_ actions: [SignalingAction], to connection: UInt64) -> [SignalingError.Code] {
    deliveries(actions).compactMap { target, message in
        if target == ConnectionID(connection), case .error(let error) = message { error.code } else { nil }
    }
}
