/// A ChannelData message (RFC 8656 section 12.4): a 4-byte header (channel number, length)
/// then the application data. The cheap path for relayed media once a channel is bound.
public struct ChannelData: Hashable, Sendable {
    public var channel: UInt16
    public var payload: ArraySlice<UInt8>

    public init(channel: UInt16, payload: ArraySlice<UInt8>) {
        self.channel = channel
        self.payload = payload
    }

    /// True when the first byte's top two bits are 01: a ChannelData message (RFC 7983).
    public static func looksLikeChannelData(_ firstByte: UInt8) -> Bool { firstByte & 0xC0 == 0x40 }

    /// Decodes a ChannelData message from a datagram. Over UDP the padding may be absent and
    /// trailing bytes beyond the length are ignored (RFC 8656 section 12.5).
    public init(decoding bytes: [UInt8]) throws(STUNDecodingError) {
        guard bytes.count >= 4 else { throw .truncated }
        let channel = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let length = Int(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
        guard ChannelNumber.validRange.contains(channel) else { throw .badChannelNumber }
        guard bytes.count >= 4 + length else { throw .truncated }
        self.channel = channel
        self.payload = bytes[4..<4 + length]
    }

    /// Encodes the frame; `padded` adds zeros to a multiple of four, required over TCP.
    public func encode(padded: Bool) -> [UInt8] {
        ChannelData.encode(channel: channel, payload: payload, padded: padded)
    }

    /// Not generic on purpose: it runs for every relayed packet, from another module, where an
    /// unspecialised generic would look up type metadata each time.
    public static func encode(channel: UInt16, payload: ArraySlice<UInt8>, padded: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        let padding = padded ? (4 - payload.count % 4) % 4 : 0
        bytes.reserveCapacity(4 + payload.count + padding)
        bytes.appendUInt16(channel)
        bytes.appendUInt16(UInt16(clamping: payload.count))
        bytes.append(contentsOf: payload)
        if padding > 0 { bytes.append(contentsOf: repeatElement(0, count: padding)) }
        return bytes
    }

    public static func encode(channel: UInt16, payload: [UInt8], padded: Bool) -> [UInt8] {
        encode(channel: channel, payload: payload[...], padded: padded)
    }
}

/// Splits a TCP byte stream into STUN messages and ChannelData frames (RFC 8656 section 12.5:
/// over TCP, ChannelData is padded to a multiple of four).
public enum STUNStreamFraming {
    /// What the first bytes of a stream buffer say.
    public enum Frame: Equatable, Sendable {
        /// A complete frame of this many bytes is at the front.
        case complete(length: Int)
        /// More bytes are needed.
        case needMoreData
        /// Neither STUN nor ChannelData: the stream cannot be resynchronised.
        case invalid
    }

    /// Looks at the first four bytes (type/channel and length).
    public static func frame<Bytes: RandomAccessCollection<UInt8>>(at bytes: Bytes) -> Frame where Bytes.Index == Int {
        guard bytes.count >= 4 else { return .needMoreData }
        let start = bytes.startIndex
        let first = bytes[start]
        let length = Int(UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3]))
        let total: Int
        if STUNMessage.looksLikeSTUN(first) {
            guard length % 4 == 0 else { return .invalid }
            total = STUNMessage.headerLength + length
        } else if ChannelData.looksLikeChannelData(first) {
            total = 4 + length + (4 - length % 4) % 4
        } else {
            return .invalid
        }
        return bytes.count >= total ? .complete(length: total) : .needMoreData
    }
}
