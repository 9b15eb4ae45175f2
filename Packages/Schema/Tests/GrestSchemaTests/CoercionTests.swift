import GrestSchema
import Testing

@Suite("Coercion")
struct CoercionTests {
    typealias P = SchemaProbe

    // MARK: Numbers: JavaScript Number() semantics, kept only when finite

    /// Inputs JavaScript's `Number()` reads as a finite number (checked against node).
    @Test(
        arguments: [
            ("", 0),
            ("  ", 0),
            (" 42 ", 42),
            ("007", 7),
            ("1e10", 1e10),
            ("1E3", 1000),
            ("1e+3", 1000),
            ("1.5e-3", 0.0015),
            ("0x10", 16),
            ("0X1f", 31),
            (" 0x10 ", 16),
            ("0b101", 5),
            ("0o17", 15),
            ("-5", -5),
            ("+5", 5),
            (".5", 0.5),
            ("+.5", 0.5),
            ("-.5", -0.5),
            ("5.", 5),
            ("0.0000001", 1e-7),
            ("\t\n 3 \u{00A0}", 3),
            ("\u{2028} 5 \u{3000}", 5),
            ("\u{FEFF}7", 7),
        ] as [(String, Double)])
    func numberFromString(text: String, expected: Double) throws {
        #expect(try IsNumber.parse(.string(text), coerce: true) == expected, "Number(\(text.debugDescription))")
        #expect(P.codes(IsNumber, .string(text)) == ["invalid.number.type"], "no coercion for \(text.debugDescription)")
    }

    /// Inputs `Number()` reads as NaN or ±Infinity: all stay strings and fail the type check.
    @Test(arguments: [
        "12abc", "abc", "Infinity", "-Infinity", "+Infinity", "infinity", "1e309", "-1e309", "NaN", "0x", "-0x10", "+0x10",
        "0x1g", "0b", "0o8", "1e", "5e-", "e5", ".", "-", "+", "++1", "1.2.3", "1_000", "\u{0661}", "1 2",
    ])
    func numberFromStringRejects(text: String) {
        #expect(P.codes(IsNumber, .string(text), coerce: true) == ["invalid.number.type"], "Number(\(text.debugDescription))")
    }

    @Test func onlyStringsAreCoercedToNumbers() {
        // grest-ts converts strings only; JavaScript's Number(true) === 1 does not apply.
        #expect(P.codes(IsNumber, true, coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, [1], coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, nil, coerce: true) == ["required"])
    }

    @Test func coercedIntegersAreStillChecked() throws {
        #expect(try IsInt.parse("42", coerce: true) == 42)
        #expect(try IsUint8.parse(" 255 ", coerce: true) == 255)
        #expect(P.codes(IsUint8, "256", coerce: true) == ["invalid.number.range"])
        #expect(P.codes(IsInt, "1.5", coerce: true) == ["invalid.number.integer"])
        #expect(P.codes(IsUint, "-1", coerce: true) == ["invalid.number.min"])
        #expect(try IsUint.parse("", coerce: true) == 0)
    }

    /// `roundToMultipleOf` (value/step, Math.round with a 1e-14 nudge away from zero, 15 significant digits);
    /// every row was checked against node.
    @Test(
        arguments: [
            ("13", 5, 15),
            ("12", 5, 10),
            ("12.5", 5, 15),
            ("-12.5", 5, -15),
            ("7", 2, 8),
            ("-7", 2, -8),
            ("10", 3, 9),
            ("1.235", 0.01, 1.24),
            ("1.005", 0.01, 1.01),
            ("2.675", 0.01, 2.68),
            ("99.995", 0.01, 100),
            ("1.15", 0.1, 1.2),
            ("0.3", 0.1, 0.3),
            ("123.456", 0.001, 123.456),
            ("0.5", 1, 1),
            ("-0.5", 1, -1),
            // Tiny and huge steps: 15 significant digits at any magnitude.
            ("3.0000000000000004e-9", 1e-10, 3e-9),
            ("7.1e-12", 1e-12, 7e-12),
            ("7e-10", 1e-10, 7e-10),
            ("1.1e-11", 1e-12, 1.1e-11),
            ("7e-19", 1e-19, 7e-19),
            ("1.23456789e-20", 1e-22, 1.23e-20),
            ("3e-300", 1e-300, 3e-300),
            ("1.5e40", 1e38, 1.5e40),
            ("1.23456789e38", 1e30, 1.23456789e38),
        ] as [(String, Double, Double)])
    func multipleOfRounding(text: String, step: Double, expected: Double) throws {
        #expect(try IsNumber.multipleOf(step).parse(.string(text), coerce: true) == expected, "\(text) → multipleOf \(step)")
        // Numbers are rounded too, but only when coercing.
        if let number = Double(text) {
            #expect(try IsNumber.multipleOf(step).parse(.number(number), coerce: true) == expected)
        }
    }

    @Test func multipleOfRoundingThenBounds() throws {
        #expect(try IsInt.multipleOf(5).parse("13", coerce: true) == 15)
        #expect(P.codes(IsInt.multipleOf(5), 13) == ["invalid.number.multipleOf"])
        // The rounded value is what the bounds see.
        #expect(P.codes(IsNumber.max(14).multipleOf(5), "13", coerce: true) == ["invalid.number.max"])
        #expect(P.issues(IsNumber.max(14).multipleOf(5), "13", coerce: true).first?.value == "13")
    }

    // MARK: Strings

    @Test(arguments: [
        (JSONValue.number(123), "123"),
        (.number(-1.5), "-1.5"),
        (.number(0), "0"),
        (.number(-0.0), "0"),
        (.bool(true), "true"),
        (.bool(false), "false"),
        (.string("x"), "x"),
    ])
    func stringFromScalar(value: JSONValue, expected: String) throws {
        #expect(try IsString.parse(value, coerce: true) == expected)
    }

    @Test(arguments: [JSONValue.object([:]), .array([]), .array(["a"]), .number(.nan)])
    func stringFromNonScalarRejects(value: JSONValue) {
        #expect(P.codes(IsString, value, coerce: true) == ["invalid.string.type"])
    }

    @Test func stringCoercionIsOptIn() {
        #expect(P.codes(IsString, 123) == ["invalid.string.type"])
        #expect(P.codes(IsString, true) == ["invalid.string.type"])
        #expect(P.codes(IsString, nil, coerce: true) == ["required"])
        #expect(P.codes(IsString, .null, coerce: true) == ["required"])
    }

    @Test func coercedStringsAreValidatedAfterwards() throws {
        // true → "true" is four characters.
        #expect(P.codes(IsString.maxLength(3), true, coerce: true) == ["invalid.string.maxLength"])
        #expect(try IsString.maxLength(4).parse(true, coerce: true) == "true")
        #expect(P.codes(IsString.maxLength(2), 123, coerce: true) == ["invalid.string.maxLength"])
        #expect(try IsString.regex("^[0-9]+$").parse(42, coerce: true) == "42")
    }

    // MARK: Booleans and bits (case-sensitive)

    @Test(arguments: [
        (JSONValue.bool(true), true), (.string("true"), true), (.string("1"), true), (.number(1), true),
        (.bool(false), false), (.string("false"), false), (.string("0"), false), (.number(0), false),
    ])
    func booleanForms(value: JSONValue, expected: Bool) throws {
        #expect(try IsBoolean.parse(value, coerce: true) == expected)
        #expect(try IsBit.parse(value, coerce: true) == (expected ? 1 : 0))
    }

    @Test(arguments: [
        "True", "TRUE", "False", "yes", "no", "on", "", " 1", "1 ", "01", "2", "-0", "1.0",
    ])
    func booleanStringsAreCaseSensitiveAndExact(text: String) {
        #expect(P.codes(IsBoolean, .string(text), coerce: true) == ["invalid.boolean.type"])
        #expect(P.codes(IsBit, .string(text), coerce: true) == ["invalid.bit.type"])
    }

    @Test func booleanAndBitWithoutCoercion() throws {
        #expect(try IsBoolean.parse(true) == true)
        #expect(P.codes(IsBoolean, "true") == ["invalid.boolean.type"])
        #expect(P.codes(IsBoolean, 1) == ["invalid.boolean.type"])
        #expect(P.codes(IsBoolean, 2, coerce: true) == ["invalid.boolean.type"])
        #expect(try IsBit.parse(1) == 1)
        #expect(try IsBit.parse(0) == 0)
        #expect(P.codes(IsBit, true) == ["invalid.bit.type"])
        #expect(P.codes(IsBit, "1") == ["invalid.bit.type"])
        #expect(P.codes(IsBit, 2, coerce: true) == ["invalid.bit.type"])
        #expect(P.codes(IsBit, 0.5, coerce: true) == ["invalid.bit.type"])
        #expect(P.issues(IsBit, 2).first?.message == "Value must be 0 or 1")
    }

    // MARK: Unions, literals, containers

    @Test func unionPrefersAnExactMatchThenTheFirstCoercibleVariant() throws {
        let schema = IsUnion(IsString.json, IsNumber.json)
        #expect(try schema.parse(true, coerce: true) == "true")
        #expect(try schema.parse("42", coerce: true) == "42")
        #expect(try schema.parse(42, coerce: true) == 42)
        #expect(P.codes(schema, true) == ["invalid.union.invalid"])

        // Order decides among coercible variants; an exact match beats an earlier coercible one.
        #expect(try IsUnion(IsNumber.json, IsBoolean.json).parse("1", coerce: true) == 1)
        #expect(try IsUnion(IsBoolean.json, IsNumber.json).parse("1", coerce: true) == true)
        #expect(try IsUnion(IsNumber.json, IsString.json).parse("42", coerce: true) == "42")
        #expect(try IsUnion(IsString.json, IsBoolean.json).parse(true, coerce: true) == true)
    }

    @Test func literalsAreNeverCoerced() {
        #expect(P.codes(IsLiteral(1), "1", coerce: true) == ["invalid.literal.invalid"])
        #expect(P.codes(IsLiteral("1"), 1, coerce: true) == ["invalid.literal.invalid"])
        #expect(P.codes(IsLiteral(true), "true", coerce: true) == ["invalid.literal.invalid"])
    }

    @Test func coercionReachesNestedValues() throws {
        #expect(try IsArray(IsInt).parse(["1", " 2 ", 3], coerce: true) == [1, 2, 3])
        #expect(try IsRecord(IsString, IsBoolean).parse(["a": "1", "b": "false"], coerce: true) == ["a": true, "b": false])
        let tuple = try IsTuple(IsString.schema, IsNumber.schema).parse([1, "2"], coerce: true)
        #expect(tuple.0 == "1" && tuple.1 == 2)
        let dynamic = IsObject(["n": IsInt, "flag": IsBit])
        #expect(try dynamic.parse(["n": "5", "flag": "true"], coerce: true) == ["n": 5, "flag": 1])
    }
}
