/// How deeply a JSON text nests arrays and objects, found by one pass over its bytes that
/// skips strings, so that a limit can be checked before the text is decoded.
enum JSONNesting {
    /// Whether `text` opens more than `limit` arrays or objects inside each other. Text that is
    /// not JSON at all is not judged here; the decoder refuses it.
    static func exceeds(_ limit: Int, in text: String) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return false
    }
}
