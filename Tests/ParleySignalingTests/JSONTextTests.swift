import Foundation
import Testing

@testable import ParleySignaling

/// The hand-written JSON parser and writer (`JSONText.swift`): what RFC 8259 allows is read
/// to the right value, what it does not is refused with the place named, and whatever is read
/// is written back to text that reads as the same value.
struct JSONTextTests {
    private func parse(_ text: String, maxDepth: Int = 32) throws(JSONSyntaxError) -> JSONValue {
        try JSONValue(parsing: text, maxDepth: maxDepth)
    }

    static let readable: [(String, JSONValue)] = [
        ("null", JSONValue.null),
        (" true ", .bool(true)),
        ("\n\t\rfalse", .bool(false)),
        ("0", .integer(0)),
        ("-0", .integer(0)),
        ("42", .integer(42)),
        ("-17", .integer(-17)),
        ("9223372036854775807", .integer(.max)),
        ("-9223372036854775808", .integer(.min)),
        ("9223372036854775808", .number(9_223_372_036_854_775_808)),
        ("1.5", .number(1.5)),
        ("-0.25e2", .number(-25)),
        ("1E+2", .number(100)),
        ("1e-2", .number(0.01)),
        (#""""#, .string("")),
        (#""plain""#, .string("plain")),
        (#""é ✓ 🎥""#, .string("é ✓ 🎥")),
        (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{8}\u{C}\n\r\t")),
        (#""\u00e9\u2713\uD83C\uDFA5\u0000""#, .string("é✓🎥\u{0}")),
        ("[]", .array([])),
        ("[1, [2, []], {}]", .array([.integer(1), .array([.integer(2), .array([])]), .object([:])])),
        (#"{ "a" : 1 , "b":[null] }"#, .object(["a": .integer(1), "b": .array([.null])])),
    ]

    @Test(arguments: readable)
    func readsWhatJSONAllows(text: String, value: JSONValue) throws {
        #expect(try parse(text) == value)
    }

    static let unreadable: [(String, String)] = [
        ("", "the text ends early"),
        ("   ", "the text ends early"),
        ("nul", "the text ends early"),
        ("nulx", "unexpected 'x' at byte 3"),
        ("True", "unexpected 'T' at byte 0"),
        ("01", "unexpected '1' at byte 1"),
        ("-", "the text ends early"),
        ("1.", "the text ends early"),
        (".5", "unexpected '.' at byte 0"),
        ("1e", "the text ends early"),
        ("+1", "unexpected '+' at byte 0"),
        ("1e999", "number 1e999 at byte 0 is out of range"),
        ("[1,]", "unexpected ']' at byte 3"),
        ("[1 2]", "unexpected '2' at byte 3"),
        (#"{"a":1,}"#, "unexpected '}' at byte 7"),
        (#"{a:1}"#, "unexpected 'a' at byte 1"),
        (#"{"a" 1}"#, "unexpected '1' at byte 5"),
        ("{", "the text ends early"),
        ("[", "the text ends early"),
        ("1 2", "unexpected '2' at byte 2"),
        ("[] x", "unexpected 'x' at byte 3"),
        (#""open"#, "a string starting at byte 0 is not closed"),
        ("\"a\u{1}b\"", "control character 0x1 in a string at byte 2; it must be escaped"),
        ("\"line\nbreak\"", "control character 0xA in a string at byte 5; it must be escaped"),
        (#""\x41""#, "unknown escape at byte 1"),
        (#""\u12G4""#, "unexpected 'G' at byte 5"),
        (#""\uD83C""#, "unpaired UTF-16 surrogate escape at byte 1"),
        (#""\uD83C\u0041""#, "unpaired UTF-16 surrogate escape at byte 1"),
        (#""\uDFA5""#, "unpaired UTF-16 surrogate escape at byte 1"),
        (#"{"a":1,"b":{"a":2},"a":3}"#, "the key at byte 19 appears twice in its object"),
        ("/* no */ 1", "unexpected '/' at byte 0"),
        ("\u{FEFF}1", "unexpected byte 0xEF at byte 0"),
    ]

    @Test(arguments: unreadable)
    func refusesWhatJSONDoesNot(text: String, reason: String) {
        #expect(throws: JSONSyntaxError.invalid(reason: reason)) { try parse(text) }
    }

    /// `parseMembers` checks the member it keeps as text exactly as the parser reads it: with
    /// each text of the two tables above as the value of `data`, and with the cases below, it
    /// refuses what the parser refuses with the same error, and keeps the text of what the
    /// parser reads, which reads as the same value; the other members and `data.description`
    /// come out as the parser reads them.
    @Test func keptMembersAreCheckedAsTheParserReadsThem() throws {
        let manyKeys = (0..<20).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let values =
            Self.readable.map(\.0) + Self.unreadable.map(\.0) + [
                #"{"a":1,"\u0061":2}"#,  // the same key, escaped
                #"{"\u00e9":1,"e\u0301":2}"#,  // canonically equivalent keys are one key to Swift
                #"{"é":1,"e\u0301":2}"#,
                "{\(manyKeys)}",  // past the keys compared one by one
                "{\(manyKeys),\"k3\":0}",
                "{\(manyKeys),\"k\\u0033\":0}",
                #"{"x":{"a":1,"a":2}}"#,
                #"{"a":1,"a":x}"#,  // a key twice before a bad value: the value's error comes first
                "{\(manyKeys),\"k3\":x}",
                #"{"a":1,"b":{"a":2,"c":{"a":3}},"c":4}"#,
                #"{"description":{"type":"offer","sdp":"v=0\r\n"},"n":1}"#,
                #"{"descr\u0069ption":{"sdp":"escaped key"}}"#,
                #"{"x":{"description":{"sdp":"not the kept object's own member"}}}"#,
                #"{"description":1,"description":2}"#,
                #"[{"description":{"sdp":"in an array"}}]"#,
                String(repeating: "[", count: 40),
            ]
        for value in values {
            for message in [#"{"type":"signal","data":\#(value)}"#, #"{"data":\#(value),"to":"x"}"#] {
                try expectSameReading(of: message)
            }
        }
        try expectSameReading(of: #"{"type":"signal","data":[[[1]]]}"#, maxDepth: 3)
        try expectSameReading(of: #"{"type":"signal","data":[[[1]]]}"#, maxDepth: 4)
        try expectSameReading(of: #"{"type":"leave"}"#)
        try expectSameReading(of: #"[{"data":{}}]"#)
        try expectSameReading(of: #"{"data":{},"data":x}"#)
    }

    private func expectSameReading(of text: String, maxDepth: Int = 32) throws {
        let parsed = Result { () throws(JSONSyntaxError) in try JSONValue(parsing: text, maxDepth: maxDepth) }
        let kept = Result { () throws(JSONSyntaxError) in
            try JSONValue.parseMembers(of: text, maxDepth: maxDepth, keepingTextOf: "data", butParsing: "description")
        }
        switch (parsed, kept) {
        case (.failure(let error), .failure(let keptError)):
            #expect(error == keptError, "\(text)")
        case (.success(.object(var members)), .success(let keptMembers?)):
            let data = members.removeValue(forKey: "data")
            #expect(keptMembers.members == members, "\(text)")
            #expect(try keptMembers.kept.map { try parse(String($0), maxDepth: .max) } == data, "\(text)")
            #expect(keptMembers.keptMember == data?["description"], "\(text)")
        case (.success(let value), .success(nil)):
            if case .object = value { Issue.record("\(text): an object, but parseMembers said it was not") }
        default:
            Issue.record("\(text): read as \(parsed), but parseMembers gave \(kept)")
        }
    }

    /// The limit counts arrays and objects alike and is checked as the parser goes down, so
    /// a megabyte of brackets is refused at the first one too many.
    @Test func refusesNestingDeeperThanTheLimit() throws {
        #expect(try parse("[[[]]]", maxDepth: 3) == .array([.array([.array([])])]))
        #expect(throws: JSONSyntaxError.nestedTooDeep(limit: 3)) { try parse(#"[{"a":[{}]}]"#, maxDepth: 3) }
        #expect(throws: JSONSyntaxError.nestedTooDeep(limit: 32)) {
            try parse(String(repeating: "[", count: 1_000_000))
        }
    }

    /// What is written reads back as the same value, strings with every character that
    /// needs escaping included.
    @Test func writtenTextReadsBackAsTheSameValue() throws {
        let controls = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        let value = JSONValue.object([
            "s": .string("quote \" backslash \\ slash / \(controls) é 🎥"),
            "n": .array([.integer(.min), .integer(.max), .number(1.5), .number(-1e-7), .number(1e300)]),
            "o": .object(["": .null, "t": .bool(true), "f": .bool(false), "e": .array([]), "x": .object([:])]),
        ])
        #expect(try parse(value.jsonText) == value)
        #expect(JSONValue.string("a\u{1}\"").jsonText == #""a\u0001\"""#)
        #expect(JSONValue.array([.integer(-3), .number(2.5), .null]).jsonText == "[-3,2.5,null]")
    }

    /// Foundation's decoder, which the server used before, reads the same texts to the same
    /// values (numbers compared by value, as it may read `1.0` as an integer).
    @Test func agreesWithFoundationsDecoder() throws {
        let texts = [
            #"{"type":"signal","to":"abc","data":{"candidate":{"candidate":"candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}}"#,
            #"{"type":"signal","to":"abc","data":{"description":{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}}}"#,
            #"[1,-1,0.5,1e3,-2E-2,"\u00e9\ud83c\udfa5",true,false,null,{},[]]"#,
        ]
        for text in texts {
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(Self.numbersAsDoubles(try parse(text)) == Self.numbersAsDoubles(foundation))
        }
    }

    private static func numbersAsDoubles(_ value: JSONValue) -> JSONValue {
        switch value {
        case .integer(let integer): .number(Double(integer))
        case .array(let elements): .array(elements.map(numbersAsDoubles))
        case .object(let members): .object(members.mapValues(numbersAsDoubles))
        default: value
        }
    }
}
