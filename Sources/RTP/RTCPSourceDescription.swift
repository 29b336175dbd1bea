/// Source description, packet type 202 (RFC 3550 section 6.5): for each source a list of
/// items, of which browsers send only CNAME, the name that ties a participant's audio and
/// video SSRCs together.
public struct RTCPSourceDescription: Hashable, Sendable {
    /// Item types (RFC 3550 section 12.2).
    public enum ItemType {
        public static let cname: UInt8 = 1
        public static let name: UInt8 = 2
        public static let email: UInt8 = 3
        public static let phone: UInt8 = 4
        public static let location: UInt8 = 5
        public static let tool: UInt8 = 6
        public static let note: UInt8 = 7
        public static let privateExtension: UInt8 = 8
    }

    /// One item; the value is kept as bytes because RFC 3550 says UTF-8 but the network does
    /// not promise it, and a lossless value is what lets the packet re-encode unchanged.
    public struct Item: Hashable, Sendable {
        /// Never 0, which ends the item list; encoding skips items of type 0.
        public var type: UInt8
        /// At most 255 bytes; encoding cuts longer values.
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public static func cname(_ text: String) -> Item { Item(type: ItemType.cname, value: Array(text.utf8)) }

        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// The items of one source.
    public struct Chunk: Hashable, Sendable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        /// The first CNAME item's text, if any.
        public var cname: String? { items.first { $0.type == ItemType.cname }?.text }
    }

    /// At most 31 (the source count field is five bits); encoding writes the first 31.
    public var chunks: [Chunk]

    public init(chunks: [Chunk]) {
        self.chunks = chunks
    }

    init(body: ArraySlice<UInt8>, chunkCount: Int) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        var chunks: [Chunk] = []
        for _ in 0..<chunkCount {
            guard let ssrc = reader.readUInt32() else { throw .malformedSourceDescription }
            var items: [Item] = []
            var itemBytes = 0
            while true {
                guard let type = reader.readUInt8() else { throw .malformedSourceDescription }
                itemBytes += 1
                if type == 0 { break }
                guard let length = reader.readUInt8(), let value = reader.readBytes(Int(length)) else {
                    throw .malformedSourceDescription
                }
                itemBytes += 1 + Int(length)
                items.append(Item(type: type, value: Array(value)))
            }
            // The null item is followed by more nulls up to the next word boundary. Tolerate a
            // last chunk cut short of it: removing the packet's padding can do that.
            let padding = (4 - itemBytes % 4) % 4
            _ = reader.skip(min(padding, reader.remaining))
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
        self.chunks = chunks
    }

    func encodeBody(into bytes: inout [UInt8]) {
        for chunk in chunks.prefix(31) {
            let start = bytes.count
            bytes.appendUInt32(chunk.ssrc)
            for item in chunk.items where item.type != 0 {
                let value = item.value.prefix(255)
                bytes.append(item.type)
                bytes.append(UInt8(value.count))
                bytes.append(contentsOf: value)
            }
            // The terminating null item, then nulls to the word boundary (RFC 3550 6.5).
            bytes.append(0)
            bytes.padToWordBoundary(from: start)
        }
    }
}

/// Goodbye, packet type 203 (RFC 3550 section 6.6): these sources are leaving.
public struct RTCPGoodbye: Hashable, Sendable {
    /// At most 31; encoding writes the first 31.
    public var sources: [UInt32]
    /// The optional reason, as bytes for the same reason as SDES items; at most 255.
    /// `nil` when the packet carries none, which differs from an empty reason on the wire.
    public var reason: [UInt8]?

    public init(sources: [UInt32], reason: [UInt8]? = nil) {
        self.sources = sources
        self.reason = reason
    }

    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    init(body: ArraySlice<UInt8>, sourceCount: Int) throws(RTPDecodingError) {
        var reader = ByteReader(body)
        var sources: [UInt32] = []
        for _ in 0..<sourceCount {
            guard let ssrc = reader.readUInt32() else { throw .malformedGoodbye }
            sources.append(ssrc)
        }
        var reason: [UInt8]?
        if !reader.isAtEnd {
            guard let length = reader.readUInt8(), let text = reader.readBytes(Int(length)) else {
                throw .malformedGoodbye
            }
            reason = Array(text)
        }
        self.init(sources: sources, reason: reason)
    }

    func encodeBody(into bytes: inout [UInt8]) {
        for ssrc in sources.prefix(31) { bytes.appendUInt32(ssrc) }
        if let reason {
            let text = reason.prefix(255)
            bytes.append(UInt8(text.count))
            bytes.append(contentsOf: text)
        }
    }
}
