import NIOCore
import STUN

/// Splits a TURN-over-TCP stream into STUN messages and padded ChannelData frames
/// (RFC 8656 section 12.5). A stream that is neither cannot be resynchronised: close it.
struct STUNFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct InvalidFrame: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch STUNStreamFraming.frame(at: buffer.readableBytesView) {
        case .needMoreData:
            return .needMoreData
        case .invalid:
            throw InvalidFrame()
        case .complete(let length):
            guard let frame = buffer.readSlice(length: length) else { return .needMoreData }
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
