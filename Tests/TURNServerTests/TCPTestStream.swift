import NIOCore
import NIOPosix
import STUN

/// A TCP connection to the server that sends one STUN message and reads one back.
struct TCPTestStream {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// The inbound stream can be iterated only once, so one iterator serves every exchange.
    nonisolated(unsafe) let inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    init(port: Int) async throws {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        inbound = channel.inbound.makeAsyncIterator()
    }

    func exchange(_ bytes: [UInt8]) async throws -> STUNMessage {
        try await channel.outbound.write(ByteBuffer(bytes: bytes))
        var received: [UInt8] = []
        var iterator = inbound
        while let chunk = try await iterator.next() {
            received += chunk.readableBytesView
            if case .complete(let length) = STUNStreamFraming.frame(at: received) {
                return try STUNMessage(decoding: Array(received.prefix(length)))
            }
        }
        throw STUNDecodingError.truncated
    }

    func close() async { try? await channel.channel.close() }
}
