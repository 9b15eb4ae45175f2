import GrestSchema
import Testing

@Suite("Arrays, tuples, records, unions")
struct CollectionSchemaTests {
    typealias P = SchemaProbe

    // MARK: Arrays

    @Test func arrayElementsAreCheckedWithIndexPaths() throws {
        #expect(try IsArray(IsString).parse(["a", "b"]) == ["a", "b"])
        #expect(try IsArray(IsString).parse([]) == [])
        #expect(P.located(IsArray(IsString), ["a", 1, "b", nil]) == ["1|invalid.string.type", "3|required"])
        #expect(P.located(IsArray(IsString), "a") == ["|invalid.array.type"])
        #expect(P.located(IsArray(IsString), ["0": "a"]) == ["|invalid.array.type"])
        #expect(P.located(IsArray(IsArray(IsInt)), [[1], [2, "x"]]) == ["1.1|invalid.number.type"])
    }

    @Test func arrayLengthErrorsSkipElementChecks() {
        let min = P.issues(IsArray(IsString).minLength(2), [1])
        #expect(min.map(\.code) == ["invalid.array.minLength"])
        #expect(min.first?.params == ["min": 2])
        #expect(min.first?.message == "Array must have at least 2 items")

        let max = P.issues(IsArray(IsString).maxLength(1), [1, 2])
        #expect(max.map(\.code) == ["invalid.array.maxLength"])
        #expect(max.first?.params == ["max": 1])
        #expect(max.first?.message == "Array must have at most 1 items")

        for schema in [IsArray(IsString).range(1, 2), IsArray(IsString).minLength(1).maxLength(2)] {
            let range = P.issues(schema, [])
            #expect(range.map(\.code) == ["invalid.array.range"])
            #expect(range.first?.params == ["min": 1, "max": 2])
            #expect(range.first?.message == "Array length must be between 1 and 2")
            #expect(P.codes(schema, [1, 2, 3]) == ["invalid.array.range"])
            #expect(P.codes(schema, [1, 2]) == ["invalid.string.type", "invalid.string.type"])
        }
    }

    @Test func arrayStringifyChecksLength() {
        #expect(IsArray(IsInt).stringify([1, 2]) == "[1,2]")
        #expect(IsArray(IsInt).maxLength(1).stringify([1, 2]) == nil)
        #expect(IsArray(IsUint).stringify([1, -2]) == nil)
    }

    // MARK: Tuples

    static let IsPair = IsTuple(IsString.schema, IsInt.schema)

    @Test func tupleWrongLengthGivesExactlyOneIssue() {
        for (value, actual) in [(["a"], 1), (["a", 1, 2], 3), ([], 0), ([1, 2, 3, 4], 4)] as [(JSONValue, Int)] {
            let issues = P.issues(Self.IsPair, value)
            #expect(issues.map(\.code) == ["invalid.tuple.length"])
            #expect(issues.map(\.path) == [""])
            #expect(issues.first?.params == ["expected": 2, "actual": .number(Double(actual))])
            #expect(issues.first?.message == "Expected 2 elements, got \(actual)")
        }
    }

    @Test func tupleElementsAndType() throws {
        let pair = try Self.IsPair.parse(["a", 1])
        #expect(pair.0 == "a" && pair.1 == 1)
        #expect(P.located(Self.IsPair, [1, "x"]) == ["0|invalid.string.type", "1|invalid.number.type"])
        #expect(P.located(Self.IsPair, ["a": 1]) == ["|invalid.tuple.type"])
        #expect(P.issues(Self.IsPair, "a").first?.message == "Value must be an array")
        #expect(Self.IsPair.stringify(("x", 2)) == #"["x",2]"#)
        #expect(Self.IsPair.encode(("x", 2)) == ["x", 2])
    }

    @Test func tupleNestedPaths() {
        struct Line: Sendable { var point: (String, Int) }
        let IsLine = IsObject(Line.init, field("point", \.point, Self.IsPair))
        #expect(P.located(IsLine, ["point": ["a", "b"]]) == ["point.1|invalid.number.type"])
        #expect(P.located(IsLine, ["point": ["a"]]) == ["point|invalid.tuple.length"])
    }

    // MARK: Records

    struct Holder: Sendable, Equatable { var map: [String: Int] }
    static let IsHolder = IsObject(Holder.init, field("map", \.map, IsRecord(IsString.minLength(2), IsInt)))

    @Test func recordKeyAndValuePaths() throws {
        #expect(try Self.IsHolder.parse(["map": ["ab": 1, "cd": 2]]) == Holder(map: ["ab": 1, "cd": 2]))
        #expect(
            P.located(Self.IsHolder, ["map": ["a": 1, "foo": "x", "b": "y"]]) == [
                "map.a[key]|invalid.string.minLength", "map.foo|invalid.number.type", "map.b[key]|invalid.string.minLength",
                "map.b|invalid.number.type",
            ])
        #expect(P.located(IsRecord(IsString.minLength(2), IsInt), ["a": 1]) == ["a[key]|invalid.string.minLength"])
        #expect(P.located(Self.IsHolder, ["map": [1]]) == ["map|invalid.record.type"])
        #expect(P.issues(Self.IsHolder, ["map": "x"]).first?.message == "Value must be an object")
    }

    @Test func recordStringifyAndEmpty() throws {
        #expect(try IsRecord(IsString, IsInt).parse([:]) == [:])
        #expect(IsRecord(IsString, IsInt).stringify(["k": 1]) == #"{"k":1}"#)
        #expect(IsRecord(IsString, IsUint).stringify(["k": -1]) == nil)
        #expect(IsRecord(IsString.maxLength(1), IsInt).stringify(["kk": 1]) == nil)
    }

    // MARK: Unions

    enum Value: Sendable, Equatable {
        case text(String)
        case number(Double)
    }

    static let IsValue = IsUnion(
        IsString.map(Value.text) { if case .text(let text) = $0 { text } else { nil } },
        IsNumber.map(Value.number) { if case .number(let number) = $0 { number } else { nil } }
    )

    @Test func unionFirstMatchWins() throws {
        #expect(try Self.IsValue.parse("a") == .text("a"))
        #expect(try Self.IsValue.parse(1) == .number(1))
        #expect(try IsUnion(IsString.json, IsString.nonEmpty.map({ "second:" + $0 }, { $0 }).json).parse("x") == "x")
        #expect(try IsUnion(IsString.minLength(2).json, IsString.json).parse("x") == "x")
        #expect(Self.IsValue.stringify(.text("a")) == #""a""#)
        #expect(Self.IsValue.stringify(.number(2)) == "2")
    }

    @Test func unionFailureIsOneIssueAtTheUnionPath() {
        #expect(P.located(Self.IsValue, true) == ["|invalid.union.invalid"])
        #expect(P.issues(Self.IsValue, true).first?.message == "Value does not match any variant")
        #expect(P.issues(Self.IsValue, true).first?.params == [:])
        struct Cell: Sendable { var value: Value }
        let IsCell = IsObject(Cell.init, field("value", \.value, Self.IsValue))
        #expect(P.located(IsCell, ["value": [1]]) == ["value|invalid.union.invalid"])
        // Absent and null are `required` (grest-ts checks presence before the union runs).
        #expect(P.located(IsCell, [:]) == ["value|required"])
        #expect(P.located(IsCell, ["value": nil]) == ["value|required"])
        #expect(P.codes(Self.IsValue, nil) == ["required"])
        // Variant issues never leak, even from deep inside an object variant.
        let objects = IsUnion(IsObject(["a": IsString]).json, IsObject(["b": IsInt]).json)
        #expect(P.located(objects, ["a": 1, "b": "x"]) == ["|invalid.union.invalid"])
    }

    @Test func unionCoercionOrder() throws {
        let schema = IsUnion(IsString.json, IsNumber.json)
        #expect(try schema.parse(true, coerce: true) == "true")
        #expect(try schema.parse("42", coerce: true) == "42")
        #expect(P.codes(schema, [], coerce: true) == ["invalid.union.invalid"])
    }

    // MARK: Discriminated unions

    struct Circle: Sendable, Equatable { var kind: String; var radius: Double }
    struct Square: Sendable, Equatable { var kind: String; var side: Double }
    enum Shape: Sendable, Equatable {
        case circle(Circle)
        case square(Square)
    }

    static let IsShape = IsDiscriminated(
        "kind",
        [
            "circle": IsObject(Circle.init, field("kind", \.kind, IsLiteral("circle")), field("radius", \.radius, IsNumber.min(0)))
                .map(Shape.circle) { if case .circle(let circle) = $0 { circle } else { nil } },
            "square": IsObject(Square.init, field("kind", \.kind, IsLiteral("square")), field("side", \.side, IsNumber))
                .map(Shape.square) { if case .square(let square) = $0 { square } else { nil } },
        ]
    )

    @Test func discriminatedSelectsTheVariant() throws {
        #expect(try Self.IsShape.parse(["kind": "circle", "radius": 1]) == .circle(Circle(kind: "circle", radius: 1)))
        #expect(try Self.IsShape.parse(["kind": "square", "side": 2, "radius": "ignored"]) == .square(Square(kind: "square", side: 2)))
        #expect(Self.IsShape.stringify(.square(Square(kind: "square", side: 2))) == #"{"kind":"square","side":2}"#)
    }

    @Test func discriminatedIssues() {
        for value: JSONValue in ["circle", 1, [["kind": "circle"]]] {
            #expect(P.located(Self.IsShape, value) == ["|invalid.dunion.notObject"])
        }
        #expect(P.issues(Self.IsShape, "x").first?.message == "Value must be an object")
        #expect(P.codes(Self.IsShape, nil) == ["required"])

        for value: JSONValue in [["radius": 1], ["kind": nil, "radius": 1]] {
            let issues = P.issues(Self.IsShape, value)
            #expect(issues.map(\.code) == ["invalid.dunion.missingDiscriminator"])
            #expect(issues.first?.params == ["field": "kind"])
            #expect(issues.first?.message == "Missing discriminator field 'kind'")
        }

        let unknown = P.issues(Self.IsShape, ["kind": "triangle"])
        #expect(unknown.map(\.code) == ["invalid.dunion.unknownVariant"])
        #expect(unknown.first?.params == ["field": "kind", "value": "triangle"])
        #expect(unknown.first?.message == "Unknown variant 'triangle' for discriminator 'kind'")
        #expect(P.issues(Self.IsShape, ["kind": true]).first?.params == ["field": "kind", "value": "true"])
        #expect(P.issues(Self.IsShape, ["kind": 3]).first?.params == ["field": "kind", "value": "3"])
    }

    @Test func discriminatedVariantIsValidatedAtTheSamePath() {
        #expect(P.located(Self.IsShape, ["kind": "circle", "radius": -1]) == ["radius|invalid.number.min"])
        struct Drawing: Sendable { var shape: Shape }
        let IsDrawing = IsObject(Drawing.init, field("shape", \.shape, Self.IsShape))
        #expect(P.located(IsDrawing, ["shape": ["kind": "square"]]) == ["shape.side|required"])
        #expect(P.located(IsDrawing, ["shape": ["kind": "hexagon"]]) == ["shape|invalid.dunion.unknownVariant"])
    }

    @Test func numericLookingKeysMatchNumbers() throws {
        let schema = IsDiscriminated(
            "v", ["1": IsObject(["v": IsLiteral(1), "a": IsString]).json, "2": IsObject(["v": IsLiteral(2), "b": IsInt]).json])
        #expect(try schema.parse(["v": 1, "a": "x"]) == ["v": 1, "a": "x"])
        #expect(try schema.parse(["v": 2, "b": 3]) == ["v": 2, "b": 3])
        // The key "1" is the number 1: the string "1" does not select it.
        #expect(P.issues(schema, ["v": "1", "a": "x"]).first?.params == ["field": "v", "value": "1"])
        #expect(P.codes(schema, ["v": "1", "a": "x"]) == ["invalid.dunion.unknownVariant"])

        // Keys that are not canonical numbers stay strings ("01", "1.0", " 1", "").
        let strings = IsDiscriminated("v", ["01": IsObject(["v": IsString]).json, "1.0": IsObject(["v": IsString]).json])
        #expect(try strings.parse(["v": "01"]) == ["v": "01"])
        #expect(try strings.parse(["v": "1.0"]) == ["v": "1.0"])
        #expect(P.codes(strings, ["v": 1]) == ["invalid.dunion.unknownVariant"])
    }
}
