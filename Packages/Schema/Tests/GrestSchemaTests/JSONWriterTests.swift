import GrestSchema
import Testing

@Suite struct JSONWriterTests {
    /// `String(x)` / `JSON.stringify(x)` in JavaScript.
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (42, "42"), (-7, "-7"), (1.5, "1.5"), (0.1, "0.1"), (1e20, "100000000000000000000"), (1e21, "1e+21"),
        (1.5e21, "1.5e+21"), (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (123.456, "123.456"), (-0.5, "-0.5"),
        (9007199254740992, "9007199254740992"), (1.7976931348623157e308, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"),
        (0.000123, "0.000123"), (123456789.125, "123456789.125"), (1e16, "10000000000000000"), (2.5e-5, "0.000025"),
    ])
    func numbersAsJavaScript(_ value: Double, _ expected: String) {
        #expect(JSONValue.number(value).jsonString == expected)
    }

    @Test func nonFiniteIsNull() {
        #expect(JSONValue.array([.number(.infinity), .number(-.infinity), .number(.nan)]).jsonString == "[null,null,null]")
    }

    @Test func escaping() {
        #expect(JSONValue.string("a\"b\\c/d\u{08}\u{0C}\n\r\t\u{01}\u{1F}é😀").jsonString == #""a\"b\\c/d\b\f\n\r\t\u0001\u001fé😀""#)
    }

    @Test func roundTrip() throws {
        let values: [JSONValue] = [
            ["a": [1, 2.5, "x", nil, true], "b": ["c": ["d": []]], "é": "\u{0}"],
            [[], [:], "", 0, -1e-7],
        ]
        for value in values {
            #expect(try JSONValue(parsing: value.jsonBytes()) == value)
        }
    }

    @Test func integersFastPath() {
        var writer = JSONWriter()
        writer.writeInt(Int.min)
        writer.writeRaw(UInt8(ascii: ","))
        writer.writeInt(Int.max)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "-9223372036854775808,9223372036854775807")
    }
}
