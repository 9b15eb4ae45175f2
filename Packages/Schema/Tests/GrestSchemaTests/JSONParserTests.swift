import GrestSchema
import Testing

@Suite struct JSONParserTests {
    @Test func values() throws {
        let value = try JSONValue(parsing: #" {"a": [1, -2.5, 1e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value == ["a": [1, -2.5, 1000, true, false, nil], "b": ["c": "d"], "e": ""])
    }

    @Test func escapesAndSurrogatePairs() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00x""#)
        #expect(value == .string("a\"b\\c/d\u{08}\u{0C}\n\r\té😀x"))
        #expect(try JSONValue(parsing: #""héllo wörld""#) == "héllo wörld")
    }

    @Test(arguments: [
        ("[1,]", 3), ("{\"a\" 1}", 5), ("[1 2]", 3), ("\"abc", 4), ("tru", 3), ("01", 1), ("[-]", 2), ("{\"a\":1,}", 7), ("1.", 2), ("[1e]", 3),
    ])
    func errorOffsets(_ input: String, _ offset: Int) {
        do {
            _ = try JSONValue(parsing: input)
            Issue.record("\(input) parsed")
        } catch {
            #expect(error.offset == offset, "\(input): \(error)")
        }
    }

    @Test func deepNestingIsBoundedAndFast() {
        let input = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect {
            _ = try JSONValue(parsing: input)
        } throws: { error in
            (error as? JSONParseError)?.reason == .tooDeep(limit: 512)
        }
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { _ = try JSONValue(parsing: ok) }
        #expect(throws: JSONParseError.self) { _ = try JSONParser(maxDepth: 10).parse(String(repeating: "[", count: 11) + String(repeating: "]", count: 11)) }
    }

    @Test func twoMegabyteString() throws {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: 2_000_000))
        bytes.append(UInt8(ascii: "\""))
        let value = try JSONValue(parsing: bytes)
        #expect(value.stringValue?.utf8.count == 2_000_000)
    }

    @Test func hugeNumbers() throws {
        #expect(try JSONValue(parsing: "1e999999") == .number(.infinity))
        #expect(try JSONValue(parsing: "-1e999") == .number(-.infinity))
        #expect(try JSONValue(parsing: "1e-999") == .number(0))
        #expect(try JSONValue(parsing: "123456789012345678901234567890") == .number(1.2345678901234568e29))
        #expect(try JSONValue(parsing: "0.1") == .number(0.1))
        #expect(try JSONValue(parsing: "-0.000001") == .number(-0.000001))
        #expect(try JSONValue(parsing: "9007199254740993") == .number(9007199254740992))
        #expect(try JSONValue(parsing: "2.2250738585072014e-308") == .number(2.2250738585072014e-308))
    }

    @Test func loneSurrogatesAreRejected() {
        for input in [#""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#] {
            #expect(throws: JSONParseError.self, "\(input)") { _ = try JSONValue(parsing: input) }
        }
    }

    @Test func duplicateKeysKeepBothAndLookupTakesLast() throws {
        let value = try JSONValue(parsing: #"{"a":1,"a":2}"#)
        #expect(value.objectValue?.count == 2)
        #expect(value["a"] == 2)
    }

    @Test func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x5B, 0xFF, 0x5D]] {
            #expect(throws: JSONParseError.self) { _ = try JSONValue(parsing: bytes) }
        }
        do {
            _ = try JSONValue(parsing: [0x22, 0x61, 0x61, 0xFF, 0x22] as [UInt8])
        } catch {
            #expect(error.reason == .invalidUTF8)
            #expect(error.offset == 3)
        }
    }

    @Test func bomTrailingAndEmpty() {
        #expect(throws: JSONParseError.self) { _ = try JSONValue(parsing: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D] as [UInt8]) }
        #expect(throws: JSONParseError.self) { _ = try JSONValue(parsing: "{} x") }
        #expect { _ = try JSONValue(parsing: "") } throws: { ($0 as? JSONParseError)?.reason == .emptyInput }
        #expect { _ = try JSONValue(parsing: "   ") } throws: { ($0 as? JSONParseError)?.reason == .unexpectedEnd }
    }

    @Test func controlCharactersMustBeEscaped() {
        #expect { _ = try JSONValue(parsing: "\"a\u{01}b\"") } throws: { ($0 as? JSONParseError)?.reason == .controlCharacterInString }
    }
}
