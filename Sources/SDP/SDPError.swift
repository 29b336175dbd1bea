/// Why a text is not a session description Parley accepts.
public enum SDPError: Error, Hashable, Sendable {
    /// The input is larger than ``SDPLimits/maximumBytes``; nothing was parsed.
    case tooLarge(byteCount: Int, limit: Int)
    /// The input has more lines than ``SDPLimits/maximumLines``.
    case tooManyLines(limit: Int)
    /// The input has more m= sections than ``SDPLimits/maximumMediaSections``.
    case tooManyMediaSections(limit: Int)
    /// The bytes are not UTF-8. WebRTC descriptions come from JavaScript strings, so anything
    /// else did not come from a browser.
    case notUTF8
    /// A line every description must have is absent: `v`, `o`, `s` or `t` (RFC 8866 section 5).
    case missingLine(type: Character)
    /// One line is wrong: its number (counting from 1), its text, and why.
    case badLine(number: Int, text: String, reason: Reason)

    /// What is wrong with one line.
    public enum Reason: Error, Hashable, Sendable {
        /// The line is not `<letter>=<value>` (RFC 8866 section 5).
        case notTypeValue
        /// A line type RFC 8866 does not define; section 5 says to reject those.
        case unknownType(Character)
        /// The first line is not `v=` (RFC 8866 section 5).
        case versionNotFirst
        /// `v=` is not 0, the only version there is.
        case unsupportedVersion
        /// A session-level line (`v`, `o`, `s`, `t`, ...) appears twice or after the first m=.
        case misplaced
        /// `o=` does not have six fields with numeric session id and version (section 5.2).
        case badOrigin
        /// `t=` does not have two numbers (section 5.9).
        case badTiming
        /// `c=` is not `<nettype> <addrtype> <address>` (section 5.7).
        case badConnection
        /// `b=` is not `<bwtype>:<number>` (section 5.8).
        case badBandwidth
        /// `m=` is not `<media> <port>[/<count>] <proto> <fmt> ...` (section 5.14).
        case badMediaLine
        /// A payload type is not a number from 0 to 127.
        case badPayloadType(String)
        /// A fingerprint is not `<hash> <hex>:<hex>...` (RFC 8122 section 5).
        case badFingerprint
        /// The named attribute's value does not have the syntax its RFC defines.
        case badAttribute(name: String)
    }
}

extension SDPError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooLarge(let byteCount, let limit): "description of \(byteCount) bytes exceeds the limit of \(limit)"
        case .tooManyLines(let limit): "description has more than \(limit) lines"
        case .tooManyMediaSections(let limit): "description has more than \(limit) m= sections"
        case .notUTF8: "description is not UTF-8"
        case .missingLine(let type): "description has no \(type)= line"
        case .badLine(let number, let text, let reason): "line \(number) \"\(text)\": \(reason)"
        }
    }
}

extension SDPError.Reason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notTypeValue: "not <type>=<value>"
        case .unknownType(let type): "unknown line type \(type)"
        case .versionNotFirst: "the first line must be v=0"
        case .unsupportedVersion: "only version 0 exists"
        case .misplaced: "line repeated or out of place"
        case .badOrigin: "malformed o= line"
        case .badTiming: "malformed t= line"
        case .badConnection: "malformed c= line"
        case .badBandwidth: "malformed b= line"
        case .badMediaLine: "malformed m= line"
        case .badPayloadType(let value): "payload type \"\(value)\" is not a number from 0 to 127"
        case .badFingerprint: "fingerprint is not a hash name and colon-separated hex bytes"
        case .badAttribute(let name): "malformed a=\(name)"
        }
    }
}
