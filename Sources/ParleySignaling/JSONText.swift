/// Reading and writing JSON text (RFC 8259) for `JSONValue`, by hand.
///
/// Every message a client sends is parsed, and every signal is written back out, so this is
/// the hottest code in signalling. Foundation's `JSONDecoder` reached the same values through
/// `Codable`, trying each kind of value in turn for every node; it took about a fifth of the
/// server's CPU under relay load (bench/RESULTS.md). This parser is one pass over the bytes,
/// strict (no comments, no trailing commas, no unpaired surrogates, no key twice in an
/// object), and refuses nesting deeper than its limit as it goes, so its time is linear in
/// the text whatever the input.

/// Why a text is not JSON the parser accepts.
public enum JSONSyntaxError: Error, Hashable, Sendable {
    /// Arrays and objects nest deeper than the limit the parser was given.
    case nestedTooDeep(limit: Int)
    /// The text is not JSON; `reason` says what was found where (a byte offset).
    case invalid(reason: String)
}

extension JSONValue {
    /// Parses one JSON text: any value, surrounded by optional whitespace.
    ///
    /// A number without fraction or exponent that fits in 64 bits is `.integer`, any other
    /// number `.number`. An object with the same key twice is refused.
    public init(parsing text: String, maxDepth: Int) throws(JSONSyntaxError) {
        var text = text
        let result = text.withUTF8 { bytes -> Result<JSONValue, JSONSyntaxError> in
            var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
            return Result { () throws(JSONSyntaxError) in
                let value = try parser.parseValue()
                parser.skipWhitespace()
                guard parser.index == bytes.count else { throw parser.unexpected() }
                return value
            }
        }
        self = try result.get()
    }

    /// The value as compact JSON text (no whitespace; object members in no particular order).
    public var jsonText: String {
        var writer = JSONTextWriter()
        writer.write(self)
        return writer.text
    }
}

/// A message's top-level members, one of them (`kept`) left as the text it came in.
public struct JSONMembers: Sendable {
    /// Every member but the kept one, parsed.
    public var members: [String: JSONValue]
    /// The kept member's value as it came, checked to be valid JSON; nil if the object has no
    /// such member.
    public var kept: Substring?
    /// The one member of the kept value (when that is an object) that was parsed after all.
    public var keptMember: JSONValue?
}

extension JSONValue {
    /// Parses a JSON text as `init(parsing:maxDepth:)` does, with the same checks and errors,
    /// except that the value of the top-level member `key` is only checked, not built: its text
    /// comes back as it was (`JSONMembers.kept`). Of that value, if it is an object, the member
    /// `innerKey` is parsed all the same (`keptMember`). Nil when the text is JSON but not an
    /// object.
    ///
    /// A signal's `data` is relayed to one peer and never read by the server, but for the SDP
    /// in its `description`; kept as text, it is copied into the outgoing message instead of
    /// being built into a tree and written out again, which was most of the cost of relaying.
    public static func parseMembers(
        of text: String, maxDepth: Int, keepingTextOf key: String, butParsing innerKey: String
    ) throws(JSONSyntaxError) -> JSONMembers? {
        var text = text
        let result = text.withUTF8 { bytes -> Result<(JSONValue, Range<Int>?, JSONValue?), JSONSyntaxError> in
            var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
            parser.keptKey = key
            parser.keptInnerKey = innerKey
            return Result { () throws(JSONSyntaxError) in
                let value = try parser.parseValue()
                parser.skipWhitespace()
                guard parser.index == bytes.count else { throw parser.unexpected() }
                return (value, parser.keptRange, parser.keptInnerValue)
            }
        }
        let (value, keptRange, keptMember) = try result.get()
        guard case .object(let members) = value else { return nil }
        guard let keptRange else { return JSONMembers(members: members, kept: nil, keptMember: nil) }
        // The kept value starts and ends with ASCII ({ } [ ] " or a literal's letters and
        // digits), so both offsets fall on character boundaries.
        let lower = text.utf8.index(text.utf8.startIndex, offsetBy: keptRange.lowerBound)
        let upper = text.utf8.index(lower, offsetBy: keptRange.count)
        return JSONMembers(members: members, kept: text[lower..<upper], keptMember: keptMember)
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0
    /// The top-level member whose value is only checked (`JSONValue.parseMembers`), and where
    /// that value's text is once found.
    var keptKey: String?
    var keptRange: Range<Int>?
    /// The member of the kept value that is parsed after all, and its value once found.
    var keptInnerKey: String?
    var keptInnerValue: JSONValue?
    /// Whether the value being checked is the kept one.
    private var checkingKept = false
    /// Keys of the objects being checked without being built, innermost object's last: what a
    /// key is compared with to refuse it twice in one object.
    private var checkedKeys: [CheckedString] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw unexpected()
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    /// The error for the byte at `index` (or the end of the text).
    func unexpected() -> JSONSyntaxError {
        guard index < bytes.count else { return .invalid(reason: "the text ends early") }
        let byte = bytes[index]
        let shown =
            (0x21..<0x7F).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return .invalid(reason: "unexpected \(shown) at byte \(index)")
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= maxDepth else { throw .nestedTooDeep(limit: maxDepth) }
        index += 1
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Moves to the opening quote of an object's next key, which must come next; returns where
    /// it is (the place an error about the key names).
    private mutating func startOfKey() throws(JSONSyntaxError) -> Int {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected() }
        return index
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        // A message's own object has a handful of members: room for them from the start.
        var members: [String: JSONValue] = depth == 1 ? Dictionary(minimumCapacity: 6) : [:]
        if !consume(UInt8(ascii: "}")) {
            repeat {
                let keyStart = try startOfKey()
                let key = try parseString()
                guard consume(UInt8(ascii: ":")) else { throw unexpected() }
                // Parsers differ on which of two equal keys counts (Foundation's takes the
                // first); refusing them leaves no room for a text to mean two things.
                let repeated: Bool
                if depth == 1, key == keptKey {
                    skipWhitespace()
                    let start = index
                    checkingKept = true
                    try checkValue()
                    checkingKept = false
                    repeated = keptRange != nil
                    keptRange = start..<index
                } else {
                    repeated = members.updateValue(try parseValue(), forKey: key) != nil
                }
                guard !repeated else {
                    throw .invalid(reason: "the key at byte \(keyStart) appears twice in its object")
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")) else { throw unexpected() }
        }
        depth -= 1
        return .object(members)
    }

    /// Checks one value exactly as `parseValue` would (the same errors at the same bytes),
    /// building nothing.
    mutating func checkValue() throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "{"): try checkObject()
        case UInt8(ascii: "["):
            try enter()
            if !consume(UInt8(ascii: "]")) {
                repeat {
                    try checkValue()
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "]")) else { throw unexpected() }
            }
            depth -= 1
        case UInt8(ascii: "\""): _ = try checkString()
        case UInt8(ascii: "t"): _ = try literal("true", .null)
        case UInt8(ascii: "f"): _ = try literal("false", .null)
        case UInt8(ascii: "n"): _ = try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw unexpected()
        }
    }

    /// Up to this many keys, a checked object compares each new key with the earlier ones;
    /// beyond, it hashes them, so that a message of many keys costs linear time.
    private static let keysComparedOneByOne = 8

    private mutating func checkObject() throws(JSONSyntaxError) {
        try enter()
        // One allocation for the keys of a message's objects, instead of one per doubling.
        if checkedKeys.capacity == 0 { checkedKeys.reserveCapacity(16) }
        let firstKey = checkedKeys.count
        var hashedKeys: Set<String>?
        if !consume(UInt8(ascii: "}")) {
            repeat {
                let keyStart = try startOfKey()
                let key = try checkString()
                guard consume(UInt8(ascii: ":")) else { throw unexpected() }
                // The kept object is at depth 2 (a member of the top-level object).
                if checkingKept, depth == 2, let keptInnerKey, try isKey(key, named: keptInnerKey) {
                    keptInnerValue = try parseValue()
                } else {
                    try checkValue()
                }
                // Checked after the value, where `parseObject` finds it, for the same error.
                var repeated = false
                if checkedKeys.count - firstKey < Self.keysComparedOneByOne {
                    for earlier in checkedKeys[firstKey...] where try isSame(earlier, key) {
                        repeated = true
                        break
                    }
                } else {
                    if hashedKeys == nil {
                        var earlierKeys = Set<String>()
                        for earlier in checkedKeys[firstKey...] { earlierKeys.insert(try decoded(earlier)) }
                        hashedKeys = earlierKeys
                    }
                    repeated = !hashedKeys!.insert(try decoded(key)).inserted
                }
                guard !repeated else {
                    throw .invalid(reason: "the key at byte \(keyStart) appears twice in its object")
                }
                checkedKeys.append(key)
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")) else { throw unexpected() }
        }
        checkedKeys.removeSubrange(firstKey...)
        depth -= 1
    }

    /// Whether two checked keys are the same key as `parseObject`'s dictionary sees it (Swift
    /// `String` equality, which takes canonically equivalent texts as equal).
    private mutating func isSame(_ a: CheckedString, _ b: CheckedString) throws(JSONSyntaxError) -> Bool {
        if a.content.count == b.content.count
            && UnsafeBufferPointer(rebasing: bytes[a.content]).elementsEqual(
                UnsafeBufferPointer(rebasing: bytes[b.content]))
        {
            return true
        }
        // Different bytes of plain ASCII are different strings; anything else is compared as
        // the strings the parser would build.
        if a.isPlainASCII && b.isPlainASCII { return false }
        return try decoded(a) == decoded(b)
    }

    /// Whether a checked key is `name`, as `isSame` compares keys.
    private mutating func isKey(_ key: CheckedString, named name: String) throws(JSONSyntaxError) -> Bool {
        if key.isPlainASCII {
            return UnsafeBufferPointer(rebasing: bytes[key.content]).elementsEqual(name.utf8)
        }
        return try decoded(key) == name
    }

    /// The string `parseString` builds from a checked string.
    private mutating func decoded(_ string: CheckedString) throws(JSONSyntaxError) -> String {
        if string.isPlainASCII {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[string.content]), as: UTF8.self)
        }
        let resume = index
        defer { index = resume }
        index = string.content.lowerBound - 1
        return try parseString()
    }

    /// Checks a string as `parseString` would (`index` at its opening quote), building nothing.
    private mutating func checkString() throws(JSONSyntaxError) -> CheckedString {
        index += 1
        let start = index
        var isPlainASCII = true
        // Escapes are decoded here only to check them (allocated at the first one, if any).
        var discarded: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return CheckedString(content: start..<(index - 1), isPlainASCII: isPlainASCII)
            case UInt8(ascii: "\\"):
                isPlainASCII = false
                index += 1
                try appendEscape(to: &discarded)
            case ..<0x20:
                throw controlCharacter()
            default:
                if byte >= 0x80 { isPlainASCII = false }
                index += 1
            }
        }
        throw .invalid(reason: "a string starting at byte \(start - 1) is not closed")
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if !consume(UInt8(ascii: "]")) {
            repeat {
                elements.append(try parseValue())
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "]")) else { throw unexpected() }
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < bytes.count, bytes[index] == expected else { throw unexpected() }
            index += 1
        }
        return value
    }

    /// A string, `index` at its opening quote. The text came from a Swift `String`, so its
    /// bytes are valid UTF-8 already; what is checked here is JSON's own rules.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1
        let start = index
        // The common case, a string without escapes, becomes a String straight from the bytes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw controlCharacter() }
            index += 1
        }
        var decoded = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try appendEscape(to: &decoded)
            case ..<0x20:
                throw controlCharacter()
            default:
                decoded.append(byte)
                index += 1
            }
        }
        throw .invalid(reason: "a string starting at byte \(start - 1) is not closed")
    }

    private func controlCharacter() -> JSONSyntaxError {
        .invalid(
            reason:
                "control character 0x\(String(bytes[index], radix: 16, uppercase: true)) in a string at byte \(index); it must be escaped"
        )
    }

    /// The escape after a backslash (`index` just past it).
    private mutating func appendEscape(to decoded: inout [UInt8]) throws(JSONSyntaxError) {
        guard index < bytes.count else { throw unexpected() }
        let simple: UInt8? =
            switch bytes[index] {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "/"): UInt8(ascii: "/")
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            decoded.append(simple)
            index += 1
            return
        }
        guard bytes[index] == UInt8(ascii: "u") else {
            throw .invalid(reason: "unknown escape at byte \(index - 1)")
        }
        let escapeStart = index - 1
        index += 1
        var scalarValue = UInt32(try hexQuad())
        if (0xD800..<0xDC00).contains(scalarValue) {
            // A high surrogate must be followed by an escaped low one; together they are one scalar.
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw unpairedSurrogate(at: escapeStart) }
            index += 2
            let low = UInt32(try hexQuad())
            guard (0xDC00..<0xE000).contains(low) else { throw unpairedSurrogate(at: escapeStart) }
            scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw unpairedSurrogate(at: escapeStart) }
        decoded.append(contentsOf: UTF8.encode(scalar)!)
    }

    private func unpairedSurrogate(at offset: Int) -> JSONSyntaxError {
        .invalid(reason: "unpaired UTF-16 surrogate escape at byte \(offset)")
    }

    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw unexpected() }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected()
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected() }
        // Accumulated negatively, so that Int64.min fits; nil once it does not.
        var integer: Int64? = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if let sofar = integer {
                    let (times10, overflow1) = sofar.multipliedReportingOverflow(by: 10)
                    let (next, overflow2) = times10.subtractingReportingOverflow(
                        Int64(bytes[index] - UInt8(ascii: "0")))
                    integer = overflow1 || overflow2 ? nil : next
                }
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try digits()
        }
        if isInteger, let integer {
            if negative { return .integer(integer) }
            if integer != .min { return .integer(-integer) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            throw .invalid(reason: "number \(text.prefix(40)) at byte \(start) is out of range")
        }
        return .number(number)
    }

    private mutating func digits() throws(JSONSyntaxError) {
        guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected() }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

/// A string in the text that was checked but not built: where its content is (between the
/// quotes), and whether that is ASCII without escapes (then its bytes are its characters).
private struct CheckedString {
    var content: Range<Int>
    var isPlainASCII: Bool
}

/// Compact JSON text, built as UTF-8 bytes.
struct JSONTextWriter {
    private var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .integer(let integer): bytes.append(contentsOf: String(integer).utf8)
        // Parsed numbers are always finite; a non-finite one built in code has no JSON form.
        case .number(let number): number.isFinite ? bytes.append(contentsOf: "\(number)".utf8) : raw("null")
        case .string(let string): write(string)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in members {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                write(key)
                bytes.append(UInt8(ascii: ":"))
                write(member)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// A string with the escapes JSON requires: quote, backslash and control characters.
    mutating func write(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (ids, SDP lines, candidates) need no escape: copied in one go.
        if !string.utf8.contains(where: Self.needsEscape) {
            bytes.append(contentsOf: string.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case ..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0xF))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Text that is one JSON value already, as it is.
    mutating func write(json text: Substring) {
        // Appending the UTF-8 view itself copies byte by byte (a substring's view has no bulk
        // copy); its contiguous storage goes in one copy.
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: text.utf8) }
    }

    /// Text that is JSON already (punctuation, literals, a key with its quotes).
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
