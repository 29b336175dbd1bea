import HummingbirdWebSocket
import ParleySignaling

/// Runs one signalling WebSocket: reads frames into the relay and writes the connection's
/// outbox out. It decides nothing; the hub behind the relay does. (Its join deadline is timed
/// with everyone else's, by `JoinDeadlines`.)
struct SignalingConnection {
    let relay: SignalingRelay
    /// The framing layer's hard limit; the protocol's own (smaller) limit is the hub's.
    let maxMessageBytes: Int

    /// - Parameter refusal: when set, the connection is refused with this error at once.
    func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, from address: String,
        refusal: SignalingError? = nil
    ) async throws {
        func refuse(_ error: SignalingError) async throws {
            try await outbound.write(.text(ServerMessage.error(error).jsonText()))
            try await outbound.close(.policyViolation, reason: error.code.rawValue)
        }
        if let refusal {
            return try await refuse(refusal)
        }
        guard let (connection, outbox) = relay.open(from: address) else {
            return try await refuse(
                SignalingError(.tooManyConnections, "your address has too many connections open already"))
        }
        defer { relay.closed(connection) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // When either child ends, the connection is over.
            group.addTask {
                // A failed write means the peer is gone; reading ends too, and the relay
                // learns of it through `closed`.
                try? await outbox.drain(
                    write: { try await outbound.write(.text($0)) },
                    close: { request in
                        if let finalText = request.finalText {
                            try await outbound.write(.text(finalText))
                        }
                        try await outbound.close(.init(codeNumber: Int(request.code.rawValue)), reason: nil)
                    })
            }
            group.addTask {
                // Errors here (invalid UTF-8, oversized frames) carry the close code the
                // WebSocket layer then sends, so they are passed on, not swallowed.
                for try await message in inbound.messages(maxSize: maxMessageBytes) {
                    switch message {
                    case .text(let text): await relay.textReceived(text, from: connection)
                    case .binary: relay.binaryReceived(from: connection)
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
