/// The RTP header extension block (RFC 3550 section 5.3.1): a 16-bit profile, then data whose
/// length the header gives in 32-bit words.
///
/// The data is kept as it came so a forwarded packet re-encodes byte for byte; ``elements()``
/// reads the RFC 8285 elements out of it on demand. Decoding the packet does not parse the
/// elements: a malformed extension should not stop the payload from being forwarded.
public struct RTPHeaderExtension: Hashable, Sendable {
    /// The profile of the one-byte element form (RFC 8285 section 4.2).
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The profile of the two-byte element form (RFC 8285 section 4.3); its low four bits are
    /// "appbits" the application may use, so any of 0x1000...0x100F is two-byte.
    public static let twoByteProfile: UInt16 = 0x1000

    /// One element: a local identifier negotiated in SDP (`a=extmap`) and its value.
    public struct Element: Hashable, Sendable {
        public var id: UInt8
        public var value: [UInt8]

        public init(id: UInt8, value: [UInt8]) {
            self.id = id
            self.value = value
        }
    }

    public var profile: UInt16
    /// The extension data; encoding pads it with zeros to whole words.
    public var data: [UInt8]

    public init(profile: UInt16, data: [UInt8]) {
        self.profile = profile
        self.data = data
    }

    /// Builds an RFC 8285 extension, in the one-byte form when every element fits it (id
    /// 1...14, 1...16 bytes) because that is what every receiver understands, else in the
    /// two-byte form. Returns `nil` when an element fits neither (id 0, more than 255 bytes) or
    /// the block would exceed the 16-bit word count.
    public init?(elements: [Element]) {
        let fitsOneByte = elements.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.value.count) }
        let fitsTwoByte = elements.allSatisfy { $0.id != 0 && $0.value.count <= 255 }
        guard fitsOneByte || fitsTwoByte else { return nil }
        var data: [UInt8] = []
        for element in elements {
            if fitsOneByte {
                data.append(element.id << 4 | UInt8(element.value.count - 1))
            } else {
                data.append(element.id)
                data.append(UInt8(element.value.count))
            }
            data.append(contentsOf: element.value)
        }
        data.padToWordBoundary(from: 0)
        guard data.count / 4 <= Int(UInt16.max) else { return nil }
        self.init(profile: fitsOneByte ? Self.oneByteProfile : Self.twoByteProfile, data: data)
    }

    public var isOneByteForm: Bool { profile == Self.oneByteProfile }
    public var isTwoByteForm: Bool { profile & 0xFFF0 == Self.twoByteProfile }

    /// The length field's value: whole words, at most 65535 (longer data is cut on encoding).
    var wordCount: Int { min((data.count + 3) / 4, Int(UInt16.max)) }

    /// The RFC 8285 elements in order. Empty for any other profile, whose data is opaque.
    ///
    /// Zero bytes between elements are padding and skipped. In the one-byte form id 15 is
    /// reserved and ends parsing: the elements before it are kept (RFC 8285 section 4.2).
    public func elements() throws(RTPDecodingError) -> [Element] {
        if isOneByteForm { return try oneByteElements() }
        if isTwoByteForm { return try twoByteElements() }
        return []
    }

    /// The value of the first element with `id`, or `nil` when there is none.
    public func value(forID id: UInt8) throws(RTPDecodingError) -> [UInt8]? {
        try elements().first { $0.id == id }?.value
    }

    private func oneByteElements() throws(RTPDecodingError) -> [Element] {
        var elements: [Element] = []
        var index = 0
        while index < data.count {
            let id = data[index] >> 4
            if id == 0 {
                index += 1
                continue
            }
            if id == 15 { break }
            // The four length bits hold the value length minus one: values are 1...16 bytes.
            let length = Int(data[index] & 0x0F) + 1
            guard index + 1 + length <= data.count else { throw .malformedExtensionElement }
            elements.append(Element(id: id, value: Array(data[index + 1..<index + 1 + length])))
            index += 1 + length
        }
        return elements
    }

    private func twoByteElements() throws(RTPDecodingError) -> [Element] {
        var elements: [Element] = []
        var index = 0
        while index < data.count {
            let id = data[index]
            if id == 0 {
                index += 1
                continue
            }
            guard index + 2 <= data.count else { throw .malformedExtensionElement }
            let length = Int(data[index + 1])
            guard index + 2 + length <= data.count else { throw .malformedExtensionElement }
            elements.append(Element(id: id, value: Array(data[index + 2..<index + 2 + length])))
            index += 2 + length
        }
        return elements
    }
}
