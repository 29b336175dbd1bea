extension SessionDescription {
    /// Parses a session description (RFC 8866). Lines end in CRLF, or a bare LF, which some
    /// signalling paths leave after rewriting.
    public init(parsing text: String, limits: SDPLimits = SDPLimits()) throws(SDPError) {
        // Checked before copying so an oversized string costs nothing more.
        let byteCount = text.utf8.count
        guard byteCount <= limits.maximumBytes else {
            throw .tooLarge(byteCount: byteCount, limit: limits.maximumBytes)
        }
        try self.init(parsingUTF8: Array(text.utf8), limits: limits)
    }

    /// Parses a session description from bytes, which must be UTF-8.
    public init(parsing bytes: [UInt8], limits: SDPLimits = SDPLimits()) throws(SDPError) {
        guard bytes.count <= limits.maximumBytes else {
            throw .tooLarge(byteCount: bytes.count, limit: limits.maximumBytes)
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .notUTF8 }
        try self.init(parsingUTF8: bytes, limits: limits)
    }

    private init(parsingUTF8 bytes: [UInt8], limits: SDPLimits) throws(SDPError) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The final line ends in a newline too, which leaves one empty piece after it.
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count <= limits.maximumLines else { throw .tooManyLines(limit: limits.maximumLines) }
        guard !lines.isEmpty else { throw .missingLine(type: "v") }
        var parser = SessionParser(limits: limits)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            do throws(SDPError.Reason) {
                try parser.parse(line: line, isFirst: index == 0)
            } catch {
                throw .badLine(number: index + 1, text: text(line.prefix(SDPError.maximumQuotedBytes)), reason: error)
            }
            if parser.mediaCountExceeded { throw .tooManyMediaSections(limit: limits.maximumMediaSections) }
        }
        self = try parser.finish()
    }
}

extension SDPError {
    /// How much of a bad line an error quotes: enough to recognise it, not 64 KiB in a log.
    static let maximumQuotedBytes = 200
}

/// Collects lines into a description, one line at a time.
private struct SessionParser {
    let limits: SDPLimits
    var origin: Origin?
    var sessionName: String?
    var connection: Connection?
    var bandwidths: [Bandwidth] = []
    var timing: Timing?
    var attributes: [SDPAttribute] = []
    var otherLines: [SDPLine] = []
    var media: [MediaDescription] = []
    var mediaCountExceeded = false

    init(limits: SDPLimits) { self.limits = limits }

    mutating func parse(line: ArraySlice<UInt8>, isFirst: Bool) throws(SDPError.Reason) {
        guard line.count >= 2, line[line.startIndex + 1] == UInt8(ascii: "="), line.first!.isASCIILetter else {
            throw .notTypeValue
        }
        // NUL and a CR inside a line are not allowed in any field (RFC 8866 section 9, byte-string).
        guard !line.contains(0), !line.contains(UInt8(ascii: "\r")) else { throw .notTypeValue }
        let type = Character(Unicode.Scalar(line.first!))
        let value = line.dropFirst(2)
        if isFirst {
            guard type == "v" else { throw .versionNotFirst }
            guard value.elementsEqual("0".utf8) else { throw .unsupportedVersion }
            return
        }
        let inSession = media.isEmpty
        switch type {
        case "v": throw .misplaced
        case "o":
            guard inSession, origin == nil else { throw .misplaced }
            origin = try parseOrigin(value)
        case "s":
            guard inSession, sessionName == nil else { throw .misplaced }
            sessionName = text(value)
        case "t":
            guard inSession, timing == nil else { throw .misplaced }
            timing = try parseTiming(value)
        case "c":
            let parsed = try parseConnection(value)
            if inSession {
                guard connection == nil else { throw .misplaced }
                connection = parsed
            } else {
                guard media[media.count - 1].connection == nil else { throw .misplaced }
                media[media.count - 1].connection = parsed
            }
        case "b":
            let parsed = try parseBandwidth(value)
            if inSession { bandwidths.append(parsed) } else { media[media.count - 1].bandwidths.append(parsed) }
        case "m":
            guard media.count < limits.maximumMediaSections else {
                mediaCountExceeded = true
                return
            }
            media.append(try parseMediaLine(value))
        case "a":
            let attribute = try parseAttribute(value)
            if inSession { attributes.append(attribute) } else { media[media.count - 1].attributes.append(attribute) }
        case "i", "k":
            let kept = SDPLine(type: type, value: text(value))
            if inSession { otherLines.append(kept) } else { media[media.count - 1].otherLines.append(kept) }
        case "u", "e", "p", "r", "z":
            guard inSession else { throw .misplaced }
            otherLines.append(SDPLine(type: type, value: text(value)))
        default:
            throw .unknownType(type)
        }
    }

    func finish() throws(SDPError) -> SessionDescription {
        guard let origin else { throw .missingLine(type: "o") }
        guard let sessionName else { throw .missingLine(type: "s") }
        guard let timing else { throw .missingLine(type: "t") }
        var media = media
        for index in media.indices { media[index].otherLines = inWritingOrder(media[index].otherLines) }
        return SessionDescription(
            origin: origin, sessionName: sessionName, connection: connection, bandwidths: bandwidths, timing: timing,
            attributes: attributes, media: media, otherLines: inWritingOrder(otherLines))
    }

    /// The rarely used lines in the order RFC 8866 section 5 writes them (a stable sort), so
    /// that a description written back and parsed again is the same value.
    private func inWritingOrder(_ lines: [SDPLine]) -> [SDPLine] {
        let order: [Character] = ["i", "u", "e", "p", "r", "z", "k"]
        return lines.enumerated().sorted { left, right in
            let leftRank = order.firstIndex(of: left.element.type) ?? order.count
            let rightRank = order.firstIndex(of: right.element.type) ?? order.count
            return (leftRank, left.offset) < (rightRank, right.offset)
        }.map(\.element)
    }
}

// MARK: - Line parsers

private typealias Bytes = ArraySlice<UInt8>

/// The space-separated fields of a value, runs of spaces counting as one. With `maxSplits`, the
/// last field is the rest of the value (inner spaces kept, outer ones dropped), so a field is
/// never empty and never starts or ends with a space: text written back parses the same.
private func fields(_ value: Bytes, maxSplits: Int = Int.max) -> [Bytes] {
    let space = UInt8(ascii: " ")
    var result: [Bytes] = []
    var index = value.startIndex
    while true {
        while index < value.endIndex, value[index] == space { index += 1 }
        guard index < value.endIndex else { return result }
        var end = index
        if result.count == maxSplits {
            end = value.endIndex
            while value[end - 1] == space { end -= 1 }
        } else {
            while end < value.endIndex, value[end] != space { end += 1 }
        }
        result.append(value[index..<end])
        index = end
    }
}

private func parseOrigin(_ value: Bytes) throws(SDPError.Reason) -> Origin {
    let parts = fields(value)
    guard parts.count == 6, let sessionID = parseNumber(parts[1], as: UInt64.self),
        let sessionVersion = parseNumber(parts[2], as: UInt64.self)
    else { throw .badOrigin }
    return Origin(
        username: text(parts[0]), sessionID: sessionID, sessionVersion: sessionVersion, networkType: text(parts[3]),
        addressType: text(parts[4]), address: text(parts[5]))
}

private func parseTiming(_ value: Bytes) throws(SDPError.Reason) -> Timing {
    let parts = fields(value)
    guard parts.count == 2, let start = parseNumber(parts[0], as: UInt64.self),
        let stop = parseNumber(parts[1], as: UInt64.self)
    else { throw .badTiming }
    return Timing(start: start, stop: stop)
}

private func parseConnection(_ value: Bytes) throws(SDPError.Reason) -> Connection {
    let parts = fields(value)
    guard parts.count == 3 else { throw .badConnection }
    return Connection(networkType: text(parts[0]), addressType: text(parts[1]), address: text(parts[2]))
}

private func parseBandwidth(_ value: Bytes) throws(SDPError.Reason) -> Bandwidth {
    let parts = value.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
    guard parts.count == 2, isToken(text(parts[0])), let number = parseNumber(parts[1], as: UInt64.self) else {
        throw .badBandwidth
    }
    return Bandwidth(type: text(parts[0]), value: number)
}

private func parseMediaLine(_ value: Bytes) throws(SDPError.Reason) -> MediaDescription {
    let parts = fields(value)
    guard parts.count >= 4, isToken(text(parts[0])) else { throw .badMediaLine }
    let portParts = parts[1].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    guard portParts.count <= 2, let port = parseNumber(portParts[0], as: UInt16.self) else { throw .badMediaLine }
    var portCount: UInt16?
    if portParts.count == 2 {
        guard let count = parseNumber(portParts[1], as: UInt16.self), count > 0 else { throw .badMediaLine }
        portCount = count
    }
    let transportProtocol = text(parts[2])
    let formats = parts[3...].map(text)
    if MediaDescription.isRTP(transportProtocol: transportProtocol) {
        for format in parts[3...] where parsePayloadType(format) == nil { throw .badPayloadType(text(format)) }
    } else {
        guard formats.allSatisfy({ isToken($0) }) else { throw .badMediaLine }
    }
    return MediaDescription(
        kind: MediaKind(token: text(parts[0])), port: port, portCount: portCount,
        transportProtocol: transportProtocol, formats: formats)
}

private func parseAttribute(_ line: Bytes) throws(SDPError.Reason) -> SDPAttribute {
    let colon = line.firstIndex(of: UInt8(ascii: ":"))
    let name = text(colon.map { line[..<$0] } ?? line)
    let value = colon.map { line[line.index(after: $0)...] }
    guard isToken(name) else { throw .badAttribute(name: name) }
    let bad = SDPError.Reason.badAttribute(name: name)

    /// The attribute has no value (`a=rtcp-mux`).
    func flag(_ attribute: SDPAttribute) throws(SDPError.Reason) -> SDPAttribute {
        guard value == nil else { throw bad }
        return attribute
    }
    /// The attribute's value, which must be there and not be blank.
    func required() throws(SDPError.Reason) -> Bytes {
        guard let value, value.contains(where: { $0 != UInt8(ascii: " ") }) else { throw bad }
        return value
    }

    switch name {
    case "group":
        let parts = fields(try required())
        guard parts.allSatisfy({ isToken(text($0)) }) else { throw bad }
        return .group(semantics: text(parts[0]), mids: parts.dropFirst().map(text))
    case "extmap-allow-mixed": return try flag(.extmapAllowMixed)
    case "msid-semantic":
        // Chromium writes a space after the colon: `a=msid-semantic: WMS`.
        let parts = fields(try required())
        return .msidSemantic(semantics: text(parts[0]), identifiers: parts.dropFirst().map(text))
    case "ice-lite": return try flag(.iceLite)
    case "ice-ufrag":
        // RFC 8839 section 5.4: 4 to 256 ice-chars.
        let value = try required()
        guard (4...256).contains(value.count), value.allSatisfy(\.isICEChar) else { throw bad }
        return .iceUsernameFragment(text(value))
    case "ice-pwd":
        // RFC 8839 section 5.4: 22 to 256 ice-chars.
        let value = try required()
        guard (22...256).contains(value.count), value.allSatisfy(\.isICEChar) else { throw bad }
        return .icePassword(text(value))
    case "ice-options":
        let parts = fields(try required())
        guard parts.allSatisfy({ isToken(text($0)) }) else { throw bad }
        return .iceOptions(parts.map(text))
    case "fingerprint":
        return .fingerprint(try Fingerprint(parsing: text(try required())))
    case "setup":
        guard let role = SetupRole(rawValue: text(try required())) else { throw bad }
        return .setup(role)
    case "mid":
        let value = text(try required())
        guard isToken(value) else { throw bad }
        return .mid(value)
    case "sendrecv", "sendonly", "recvonly", "inactive":
        return try flag(.direction(MediaDirection(rawValue: name)!))
    case "rtcp-mux": return try flag(.rtcpMux)
    case "rtcp-rsize": return try flag(.rtcpReducedSize)
    case "rtpmap": return .rtpMap(try parseRTPMap(try required(), bad: bad))
    case "fmtp":
        let parts = fields(try required(), maxSplits: 1)
        guard let payloadType = parsePayloadType(parts[0]) else { throw .badPayloadType(text(parts[0])) }
        guard parts.count == 2 else { throw bad }
        return .formatParameters(FormatParameters(payloadType: payloadType, parameters: text(parts[1])))
    case "rtcp-fb":
        let parts = fields(try required(), maxSplits: 2)
        var payloadType: UInt8?
        if !parts[0].elementsEqual("*".utf8) {
            guard let number = parsePayloadType(parts[0]) else { throw .badPayloadType(text(parts[0])) }
            payloadType = number
        }
        guard parts.count >= 2, isToken(text(parts[1])) else { throw bad }
        let parameter = parts.count == 3 ? text(parts[2]) : nil
        return .rtcpFeedback(RTCPFeedback(payloadType: payloadType, type: text(parts[1]), parameter: parameter))
    case "extmap": return .extensionMap(try parseExtensionMap(try required(), bad: bad))
    case "ssrc":
        let parts = fields(try required(), maxSplits: 1)
        guard parts.count == 2, let ssrc = parseNumber(parts[0], as: UInt32.self) else { throw bad }
        let attribute = parts[1].split(separator: UInt8(ascii: ":"), maxSplits: 1, omittingEmptySubsequences: false)
        guard isToken(text(attribute[0])) else { throw bad }
        return .ssrc(
            SSRCAttribute(
                ssrc: ssrc, attribute: text(attribute[0]), value: attribute.count == 2 ? text(attribute[1]) : nil))
    case "ssrc-group":
        let parts = fields(try required())
        guard parts.count >= 2, isToken(text(parts[0])) else { throw bad }
        var ssrcs: [UInt32] = []
        for part in parts.dropFirst() {
            guard let ssrc = parseNumber(part, as: UInt32.self) else { throw bad }
            ssrcs.append(ssrc)
        }
        return .ssrcGroup(SSRCGroup(semantics: text(parts[0]), ssrcs: ssrcs))
    case "msid":
        let parts = fields(try required())
        guard parts.count <= 2 else { throw bad }
        return .msid(MediaStreamID(streamID: text(parts[0]), trackID: parts.count == 2 ? text(parts[1]) : nil))
    case "candidate":
        return .candidate(try Candidate(parsingFields: try required()))
    case "end-of-candidates": return try flag(.endOfCandidates)
    case "sctp-port":
        guard let port = parseNumber(try required(), as: UInt16.self) else { throw bad }
        return .sctpPort(port)
    case "max-message-size":
        guard let size = parseNumber(try required(), as: UInt64.self) else { throw bad }
        return .maxMessageSize(size)
    default:
        return .other(name: name, value: value.map(text))
    }
}

private func parseRTPMap(_ value: Bytes, bad: SDPError.Reason) throws(SDPError.Reason) -> RTPMap {
    let parts = fields(value)
    guard let payloadType = parsePayloadType(parts[0]) else { throw .badPayloadType(text(parts[0])) }
    guard parts.count == 2 else { throw bad }
    let encoding = parts[1].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    guard (2...3).contains(encoding.count), isToken(text(encoding[0])),
        let clockRate = parseNumber(encoding[1], as: UInt32.self), clockRate > 0
    else { throw bad }
    var channels: UInt8?
    if encoding.count == 3 {
        guard let count = parseNumber(encoding[2], as: UInt8.self), count > 0 else { throw bad }
        channels = count
    }
    return RTPMap(payloadType: payloadType, encodingName: text(encoding[0]), clockRate: clockRate, channels: channels)
}

private func parseExtensionMap(_ value: Bytes, bad: SDPError.Reason) throws(SDPError.Reason) -> ExtensionMap {
    let parts = fields(value, maxSplits: 2)
    guard parts.count >= 2 else { throw bad }
    let idParts = parts[0].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    // RFC 8285 section 5: 1 to 14 (one-byte form) or up to 255 (two-byte form).
    guard idParts.count <= 2, let id = parseNumber(idParts[0], as: UInt16.self), (1...255).contains(id) else {
        throw bad
    }
    var direction: MediaDirection?
    if idParts.count == 2 {
        guard let parsed = MediaDirection(rawValue: text(idParts[1])) else { throw bad }
        direction = parsed
    }
    // A URI is visible ASCII (RFC 3986); anything else cannot be a header extension name.
    guard parts[1].allSatisfy({ (0x21...0x7E).contains($0) }) else { throw bad }
    let extensionAttributes = parts.count == 3 ? text(parts[2]) : nil
    return ExtensionMap(id: id, direction: direction, uri: text(parts[1]), extensionAttributes: extensionAttributes)
}

// MARK: - Shared scanning helpers

/// The bytes as a string; the caller has checked the whole input is UTF-8, and splits only at
/// ASCII bytes, so no replacement character can appear.
func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

/// A decimal number of only ASCII digits, no sign, that fits `T`; nil otherwise.
func parseNumber<T: FixedWidthInteger & UnsignedInteger>(_ bytes: ArraySlice<UInt8>, as type: T.Type) -> T? {
    guard !bytes.isEmpty else { return nil }
    var result: T = 0
    for byte in bytes {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = shifted.addingReportingOverflow(T(byte - UInt8(ascii: "0")))
        guard !overflow1, !overflow2 else { return nil }
        result = sum
    }
    return result
}

/// An RTP payload type: 0 to 127 (RFC 3550 section 5.1, seven bits).
func parsePayloadType(_ bytes: ArraySlice<UInt8>) -> UInt8? {
    guard let number = parseNumber(bytes, as: UInt8.self), number <= 127 else { return nil }
    return number
}

extension UInt8 {
    var isASCIILetter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
