import GrestSchema
import Testing

@Suite("IsNumber and the integer family")
struct NumberSchemaTests {
    typealias P = SchemaProbe

    /// Every numeric schema erased to JSON output, so one table can drive them all.
    static let schemas: [String: Schema<JSONValue>] = [
        "IsNumber": IsNumber.json, "IsInt": IsInt.json, "IsUint": IsUint.json, "IsPosInt": IsPosInt.json,
        "IsInt8": IsInt8.json, "IsInt16": IsInt16.json, "IsInt32": IsInt32.json,
        "IsUint8": IsUint8.json, "IsUint16": IsUint16.json, "IsUint32": IsUint32.json,
    ]

    @Test func isNumberAcceptsFiniteNumbers() throws {
        #expect(try IsNumber.parse(1.5) == 1.5)
        #expect(try IsNumber.parse(-0.0) == 0)
        #expect(try IsNumber.parse(1e308) == 1e308)
        #expect(try IsNumber.parse(.number(-Double.leastNonzeroMagnitude)) == -.leastNonzeroMagnitude)
    }

    @Test(arguments: [
        (JSONValue.string("123"), "invalid.number.type"),
        (.string(""), "invalid.number.type"),
        (.bool(true), "invalid.number.type"),
        (.array([1]), "invalid.number.type"),
        (.object([:]), "invalid.number.type"),
        (.number(.nan), "invalid.number.type"),
        (.number(.infinity), "invalid.number.type"),
        (.number(-.infinity), "invalid.number.type"),
        (.null, "required"),
    ])
    func isNumberRejects(value: JSONValue, code: String) {
        #expect(P.codes(IsNumber, value) == [code])
    }

    @Test func minMaxAndRangeIssues() {
        let min = P.issues(IsNumber.min(2), 1)
        #expect(min.map(\.code) == ["invalid.number.min"])
        #expect(min.first?.params == ["min": 2])
        #expect(min.first?.message == "Value must be at least 2")

        let max = P.issues(IsNumber.max(2), 3)
        #expect(max.map(\.code) == ["invalid.number.max"])
        #expect(max.first?.params == ["max": 2])
        #expect(max.first?.message == "Value must be at most 2")

        let range = P.issues(IsNumber.min(1).max(2), 3)
        #expect(range.map(\.code) == ["invalid.number.range"])
        #expect(range.first?.params == ["min": 1, "max": 2])
        #expect(range.first?.message == "Value must be between 1 and 2")
        #expect(P.codes(IsNumber.range(1, 2), 0.5) == ["invalid.number.range"])
        #expect(P.codes(IsNumber.range(1, 2), 1) == [])
        #expect(P.codes(IsNumber.range(1, 2), 2) == [])
    }

    /// The int/uint matrix from the grest-ts tests (schema, input, expected codes in order).
    @Test(
        arguments: [
            ("IsInt", JSONValue.number(1), [String]()),
            ("IsInt", -5, []),
            ("IsInt", 1.5, ["invalid.number.integer"]),
            ("IsInt", "1", ["invalid.number.type"]),
            ("IsInt", nil, ["required"]),
            ("IsUint", 0, []),
            ("IsUint", -1, ["invalid.number.min"]),
            ("IsUint", 1.5, ["invalid.number.integer"]),
            ("IsUint", -1.5, ["invalid.number.integer", "invalid.number.min"]),
            ("IsUint", "123", ["invalid.number.type"]),
            ("IsPosInt", 0, ["invalid.number.min"]),
            ("IsPosInt", 1, []),
            ("IsPosInt", 0.5, ["invalid.number.integer", "invalid.number.min"]),
            ("IsUint8", 0, []),
            ("IsUint8", 255, []),
            ("IsUint8", 256, ["invalid.number.range"]),
            ("IsUint8", -1, ["invalid.number.range"]),
            ("IsUint8", 1.5, ["invalid.number.integer"]),
            ("IsUint8", -0.5, ["invalid.number.integer", "invalid.number.range"]),
            ("IsUint16", 65535, []),
            ("IsUint16", 65536, ["invalid.number.range"]),
            ("IsUint32", 4_294_967_295, []),
            ("IsUint32", 4_294_967_296, ["invalid.number.range"]),
            ("IsInt8", -128, []),
            ("IsInt8", 127, []),
            ("IsInt8", -129, ["invalid.number.range"]),
            ("IsInt8", 128, ["invalid.number.range"]),
            ("IsInt16", -32768, []),
            ("IsInt16", 32768, ["invalid.number.range"]),
            ("IsInt32", -2_147_483_648, []),
            ("IsInt32", 2_147_483_647, []),
            ("IsInt32", 2_147_483_648, ["invalid.number.range"]),
            ("IsInt32", -2_147_483_649, ["invalid.number.range"]),
            ("IsNumber", 1.5, []),
            ("IsNumber", "1.5", ["invalid.number.type"]),
        ] as [(String, JSONValue, [String])])
    func integerMatrix(schema name: String, value: JSONValue, expected: [String]) throws {
        let schema = try #require(Self.schemas[name])
        #expect(P.codes(schema, value) == expected, "\(name) \(value)")
    }

    @Test func integerBoundsAppearInParams() {
        #expect(P.issues(IsUint8, 256).first?.params == ["min": 0, "max": 255])
        #expect(P.issues(IsUint8, 256).first?.message == "Value must be between 0 and 255")
        #expect(P.issues(IsUint, -1).first?.params == ["min": 0])
        #expect(P.issues(IsPosInt, 0).first?.params == ["min": 1])
        #expect(P.issues(IsInt8, 128).first?.params == ["min": -128, "max": 127])
        #expect(P.issues(IsUint32, -1).first?.params == ["min": 0, "max": 4_294_967_295])
    }

    @Test func integerOutputsHaveTheirSwiftTypes() throws {
        let byte: UInt8 = try IsUint8.parse(255)
        #expect(byte == 255)
        let small: Int8 = try IsInt8.parse(-128)
        #expect(small == -128)
        let word: UInt32 = try IsUint32.parse(4_294_967_295)
        #expect(word == .max)
        let int: Int = try IsInt.parse(9_007_199_254_740_991)
        #expect(int == 9_007_199_254_740_991)
    }

    @Test func integersBeyondTheSafeRangeAreRejected() {
        // Swift decision (documented on IntegerSchema): grest-ts accepts 1e20 as an integer, but it cannot be an
        // exact `Int` here, so IsInt limits itself to JavaScript's safe range and reports `range`.
        let issues = P.issues(IsInt, 1e20)
        #expect(issues.map(\.code) == ["invalid.number.range"])
        #expect(issues.first?.params == ["min": -9_007_199_254_740_991, "max": 9_007_199_254_740_991])
        #expect(P.codes(IsInt, -1e20) == ["invalid.number.range"])
    }

    @Test func userBoundsTightenTheBuiltInOnes() {
        #expect(P.codes(IsUint8.max(10), 11) == ["invalid.number.range"])
        #expect(P.issues(IsUint8.max(10), 11).first?.params == ["min": 0, "max": 10])
        #expect(P.codes(IsInt.min(3), 2) == ["invalid.number.min"])
        #expect(P.codes(IsUint.max(9), 10) == ["invalid.number.range"])
        #expect(P.codes(IsInt.range(-1, 1), 2) == ["invalid.number.range"])
    }

    @Test func multipleOfWithoutCoercionOnlyChecks() {
        let issues = P.issues(IsNumber.multipleOf(5), 13)
        #expect(issues.map(\.code) == ["invalid.number.multipleOf"])
        #expect(issues.first?.params == ["multipleOf": 5])
        #expect(issues.first?.message == "Value must be a multiple of 5")
        #expect(P.codes(IsNumber.multipleOf(5), 15) == [])
        #expect(P.codes(IsNumber.multipleOf(5), -15) == [])
        #expect(P.codes(IsNumber.multipleOf(5), 0) == [])
    }

    @Test(
        arguments: [
            (0.3, 0.1, true),
            (0.1 + 0.2, 0.1, true),
            (0.7, 0.1, true),
            (1.1, 0.1, true),
            (123.456, 0.001, true),
            (19.99, 0.01, true),
            (0.35, 0.1, false),
            (10, 3, false),
            // 2^52 + 1 and 2^53 - 1: JavaScript's Math.round is exact there, so these are multiples of 1.
            (4_503_599_627_370_497, 1, true),
            (9_007_199_254_740_991, 1, true),
            (9_007_199_254_740_991, 2, false),
        ] as [(Double, Double, Bool)])
    func multipleOfTolerance(value: Double, step: Double, isMultiple: Bool) {
        #expect(IsNumber.multipleOf(step).is(.number(value)) == isMultiple, "\(value) multipleOf \(step)")
    }

    @Test func checksAccumulateInGrestOrder() {
        // integer, then range/min/max, then multipleOf.
        #expect(
            P.codes(IsInt.min(0).multipleOf(2), -1.5)
                == ["invalid.number.integer", "invalid.number.min", "invalid.number.multipleOf"])
        #expect(P.codes(IsNumber.range(0, 10).multipleOf(3), 11) == ["invalid.number.range", "invalid.number.multipleOf"])
    }

    @Test func stringifyChecksConstraints() {
        #expect(IsNumber.stringify(42) == "42")
        #expect(IsInt.stringify(-7) == "-7")
        #expect(IsUint8.stringify(255) == "255")
        #expect(IsUint.stringify(-1) == nil)
        #expect(IsNumber.min(10).stringify(9) == nil)
        #expect(IsNumber.stringify(.nan) == nil)
        #expect(IsNumber.stringify(.infinity) == nil)
        #expect(IsInt.multipleOf(5).stringify(12) == nil)
    }

    @Test func tighteningIsAllowed() {
        #expect(P.codes(IsNumber.min(1).min(2), 1) == ["invalid.number.min"])
        #expect(P.codes(IsNumber.max(5).max(4), 5) == ["invalid.number.max"])
        #expect(P.codes(IsUint.min(0), 0) == [])
    }
}
