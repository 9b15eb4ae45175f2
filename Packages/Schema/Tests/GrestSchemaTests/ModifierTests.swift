import GrestSchema
import Tagged
import Testing

@Suite("Modifiers")
struct ModifierTests {
    typealias P = SchemaProbe

    // MARK: Optionality

    @Test func orUndefinedAcceptsOnlyAbsence() throws {
        #expect(try IsString.orUndefined.parse(nil) == nil)
        #expect(try IsString.orUndefined.parse("a") == "a")
        #expect(P.codes(IsString.orUndefined, .null) == ["required"])
        #expect(P.codes(IsString.orUndefined, 1) == ["invalid.string.type"])
        #expect(IsString.orUndefined.is(nil))
        #expect(!IsString.orUndefined.is(.null))
    }

    @Test func orNullAcceptsOnlyNull() throws {
        #expect(try IsString.orNull.parse(.null) == nil)
        #expect(try IsString.orNull.parse("a") == "a")
        #expect(P.codes(IsString.orNull, nil) == ["required"])
        #expect(IsString.orNull.is(.null))
        #expect(!IsString.orNull.is(nil))
    }

    @Test func orNullishAcceptsBoth() throws {
        #expect(try IsString.orNullish.parse(nil) == nil)
        #expect(try IsString.orNullish.parse(.null) == nil)
        #expect(try IsString.orNullish.parse("a") == "a")
        #expect(P.codes(IsString.orNullish, 1) == ["invalid.string.type"])
        #expect(IsString.orNullish.stringify(nil) == nil)
    }

    @Test func optionalityKeepsTheBaseRules() {
        #expect(P.codes(IsString.nonEmpty.orUndefined, "") == ["invalid.string.nonEmpty"])
        #expect(P.codes(IsUint8.orNull, 300) == ["invalid.number.range"])
        #expect(P.codes(IsArray(IsInt).orNullish, ["x"]) == ["invalid.number.type"])
    }

    // MARK: Brand

    enum AccountIdTag {}
    typealias AccountId = Tagged<AccountIdTag, String>
    enum OrderIdTag {}
    typealias OrderId = Tagged<OrderIdTag, String>

    @Test func brandGivesADistinctType() throws {
        let IsAccountId = IsString.nonEmpty.brand(AccountIdTag.self)
        let IsOrderId = IsString.brand(OrderIdTag.self, name: "OrderId")
        // The outputs are different types: passing an AccountId where an OrderId is expected does not compile.
        let account: AccountId = try IsAccountId.parse("acc_1")
        let order: OrderId = try IsOrderId.parse("ord_1")
        #expect(account.rawValue == "acc_1")
        #expect(order.rawValue == "ord_1")
        #expect(P.codes(IsAccountId, "") == ["invalid.string.nonEmpty"])
        #expect(IsAccountId.stringify(account) == #""acc_1""#)
        #expect(IsAccountId.schemaDescription.docs.brand == "AccountIdTag")
        #expect(IsOrderId.schemaDescription.docs.brand == "OrderId")
        #expect(IsOrderId.schemaDescription.jsonSchema["x-brand"] == "OrderId")
        // A branded optional stays optional inside objects.
        #expect(IsString.orUndefined.brand(OrderIdTag.self).stringify(Tagged<OrderIdTag, String?>(rawValue: nil)) == nil)
    }

    // MARK: Refine

    static let tooShort = try! IssueKey.define("test.core.modifier.tooShort", "Too short")
    static let noUpper = try! IssueKey.define("test.core.modifier.noUpper", "Needs an uppercase letter")

    @Test func refineFirstFailureWins() {
        let schema =
            IsString
            .refine(Self.tooShort) { $0.count >= 3 }
            .refine(Self.noUpper) { $0.contains { $0.isUppercase } }
        #expect(P.codes(schema, "ab") == ["test.core.modifier.tooShort"])
        #expect(P.codes(schema, "abc") == ["test.core.modifier.noUpper"])
        #expect(P.codes(schema, "Abc") == [])
        // Refinements run only after the type check passed.
        #expect(P.codes(schema, 1) == ["invalid.string.type"])
        #expect(P.codes(IsString.nonEmpty.refine(Self.tooShort) { $0.count >= 3 }, "") == ["invalid.string.nonEmpty"])
        // No params, at the schema path, message from the template.
        let issue = P.issues(schema, "ab").first
        #expect(issue?.params == [:])
        #expect(issue?.path == "")
        #expect(issue?.message == "Too short")
    }

    @Test func refineAppliesOnStringify() {
        let schema = IsString.refine(Self.tooShort) { $0.count >= 3 }
        #expect(schema.stringify("ab") == nil)
        #expect(schema.stringify("abc") == #""abc""#)
    }

    @Test func refinementsSeeCoercedValues() {
        let schema = IsInt.refine(Self.tooShort) { $0 >= 10 }
        #expect(P.codes(schema, "5", coerce: true) == ["test.core.modifier.tooShort"])
        #expect(P.codes(schema, "15", coerce: true) == [])
    }

    // MARK: Custom coercion

    struct TransformFailed: Error {}

    @Test func customCoercionRunsOnlyWhenCoercing() throws {
        let lowercased = IsString.coerce { value in
            guard case .string(let text) = value else { return value }
            return .string(text.lowercased())
        }
        #expect(try lowercased.parse("ABC") == "ABC")
        #expect(try lowercased.parse("ABC", coerce: true) == "abc")
        // As in grest-ts the transform runs after the built-in coercion: it sees "1", not the number 1.
        let seen = IsString.coerce { value in
            guard case .string(let text) = value else { return "not a string" }
            return .string("<" + text + ">")
        }
        #expect(try seen.parse(1, coerce: true) == "<1>")
        // Never on null or absent values: those still give `required`.
        let neverNull = IsString.coerce { _ in "filled" }
        #expect(P.codes(neverNull, .null, coerce: true) == ["required"])
        #expect(P.codes(neverNull, nil, coerce: true) == ["required"])
        // Where built-in coercion does not apply, the transform sees the raw value (e.g. "yes" for a boolean).
        let yes = IsBoolean.coerce { value in value == "yes" ? true : value }
        #expect(try yes.parse("yes", coerce: true) == true)
    }

    @Test func throwingCustomCoercionIsSkipped() throws {
        let failing = IsInt.coerce { _ in throw TransformFailed() }
        #expect(try failing.parse("7", coerce: true) == 7)
        #expect(P.codes(failing, "x", coerce: true) == ["invalid.number.type"])
    }

    @Test func customCoercionResultIsValidated() {
        let schema = IsString.maxLength(2).coerce { _ in "too long" }
        #expect(P.codes(schema, "ok", coerce: true) == ["invalid.string.maxLength"])
        #expect(P.codes(schema, "ok") == [])
    }

    // MARK: Docs

    @Test func docsAppearInTheDescription() {
        let schema = IsString.nonEmpty.docs(
            title: "Name", description: "The display name", example: "Ann", examples: ["Ann", "Bob"], isDeprecated: true, format: "name")
        let docs = schema.schemaDescription.docs
        #expect(docs.title == "Name")
        #expect(docs.description == "The display name")
        #expect(docs.example == "Ann")
        #expect(docs.examples == ["Ann", "Bob"])
        #expect(docs.isDeprecated)
        #expect(docs.format == "name")
        let json = schema.schemaDescription.jsonSchema
        #expect(json["title"] == "Name")
        #expect(json["description"] == "The display name")
        #expect(json["example"] == "Ann")
        #expect(json["deprecated"] == true)
        // Docs change nothing about validation.
        #expect(P.codes(schema, "") == ["invalid.string.nonEmpty"])
    }

    // MARK: is

    @Test func isAllowsExtraKeysAndNeverCoerces() {
        struct Point: Sendable { var x: Int; var y: Int }
        let IsPoint = IsObject(Point.init, field("x", \.x, IsInt), field("y", \.y, IsInt))
        #expect(IsPoint.is(["x": 1, "y": 2, "z": 3]))
        #expect(!IsPoint.is(["x": 1]))
        #expect(!IsPoint.is(["x": "1", "y": 2]))
        #expect(!IsNumber.is("1"))
        #expect(!IsBoolean.is("true"))
        #expect(!IsString.is(1))
        #expect(!IsUint.default(1).is(nil))
    }

    @Test func isRejectsUntrimmedInputEverywhere() {
        #expect(!IsString.trim.is(" a "))
        #expect(IsString.trim.is("a"))
        #expect(!IsArray(IsString.trim).is(["a", " b"]))
        #expect(!IsObject(["name": IsString.trim]).is(["name": "a "]))
        #expect(!IsUnion(IsString.trim.json, IsNumber.json).is(" a "))
    }

    @Test func unionsTrimLikeTheirVariants() throws {
        // A union variant that trims accepts untrimmed input when parsing, as the variant alone does.
        #expect(try IsString.trim.parse(" a ") == "a")
        #expect(try IsUnion(IsString.trim.json, IsNumber.json).parse(" a ") == "a")
        #expect(try IsUnion(IsNumber.json, IsString.trim.json).parse(" a ", coerce: true) == "a")
        #expect(try IsUnion(IsNumber.json, IsString.trim.nonEmpty.json).parse(" 5 ", coerce: true) == 5)
    }

    // MARK: Tighten-only constraints stop the process

    @Test func loweringMinLengthTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsString.minLength(5).minLength(3) }
    }

    @Test func raisingMaxLengthTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsString.maxLength(3).maxLength(5) }
    }

    @Test func invertedStringRangeTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsString.range(5, 1) }
        await #expect(processExitsWith: .failure) { _ = IsString.maxLength(3).minLength(5) }
    }

    @Test func invertedNumberRangeTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsNumber.range(5, 1) }
        await #expect(processExitsWith: .failure) { _ = IsNumber.max(1).min(5) }
    }

    @Test func looseningNumberBoundsTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsNumber.min(5).min(3) }
        await #expect(processExitsWith: .failure) { _ = IsNumber.max(5).max(6) }
        await #expect(processExitsWith: .failure) { _ = IsUint.min(-1) }
        await #expect(processExitsWith: .failure) { _ = IsUint8.max(10).max(11) }
    }

    @Test func nonPositiveMultipleOfTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsNumber.multipleOf(0) }
        await #expect(processExitsWith: .failure) { _ = IsNumber.multipleOf(-1) }
    }

    @Test func looseningArrayLengthTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsArray(IsString).minLength(3).minLength(2) }
        await #expect(processExitsWith: .failure) { _ = IsArray(IsString).range(3, 2) }
    }

    @Test func invalidDefinitionsTerminate() async {
        await #expect(processExitsWith: .failure) { _ = IsUnion(IsString.schema) }
        await #expect(processExitsWith: .failure) { _ = IsDiscriminated("kind", ["a": IsObject(["kind": IsString]).json]) }
        await #expect(processExitsWith: .failure) { _ = IsLiteral(Double.nan) }
        await #expect(processExitsWith: .failure) { _ = IsLiteral(1.0, .infinity) }
    }

    @Test func invalidRegexTerminates() async {
        await #expect(processExitsWith: .failure) { _ = IsString.regex("(") }
    }
}

@Suite("Defaults under optional modifiers")
struct DefaultOptionalityTests {
    typealias P = SchemaProbe

    @Test func defaultAppliesWhateverTheModifierOrder() throws {
        // grest-ts applies `defaultValue` before looking at optional/nullable, so the order of the modifiers does
        // not matter when coercing.
        #expect(try IsInt.default(5).orUndefined.parse(nil, coerce: true) == 5)
        #expect(try IsInt.default(5).orNull.parse(.null, coerce: true) == 5)
        #expect(try IsInt.default(5).orNullish.parse(nil, coerce: true) == 5)
        #expect(try IsInt.default(5).orNullish.parse(.null, coerce: true) == 5)
        #expect(try IsInt.orUndefined.default(5).parse(nil, coerce: true) == 5)
        // Without coercion the modifiers behave as usual.
        #expect(try IsInt.default(5).orUndefined.parse(nil) == nil)
        #expect(try IsInt.default(5).orNull.parse(.null) == nil)
        #expect(P.codes(IsInt.default(5).orUndefined, .null) == ["required"])
        #expect(P.codes(IsInt.default(5).orNull, nil) == ["required"])
    }
}

@Suite("Custom schemas on ParseContext")
struct CustomSchemaTests {
    typealias P = SchemaProbe

    /// A hand-written schema: a `"x,y"` point string, reporting nested issues through the public context API.
    static let IsPointText = Schema<[Double]>(
        description: SchemaDescription(.string(minLength: nil, maxLength: nil, pattern: nil)),
        parse: { value, context in
            guard case .string(let text)? = value else {
                context.report(.stringType, value: value)
                return nil
            }
            var result: [Double] = []
            for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                let parsed = context.visiting(index: index) { context -> Double? in
                    guard let number = Double(part) else {
                        context.report(.numberType, value: .string(String(part)))
                        return nil
                    }
                    return number
                }
                if let parsed { result.append(parsed) }
            }
            if result.count != 2 {
                context.report(GrestSchema.Issue(path: "count", code: IssueKey.tupleLength.code, message: "two parts"))
                return nil
            }
            return result
        },
        write: { value, writer, _ in writer.writeString(value.map { String($0) }.joined(separator: ",")) },
        encode: { value in .string(value.map { String($0) }.joined(separator: ",")) }
    )

    @Test func customSchemasReportAtNestedPaths() throws {
        #expect(try Self.IsPointText.parse("1,2") == [1, 2])
        #expect(P.located(Self.IsPointText, "1,x") == ["1|invalid.number.type", "count|invalid.tuple.length"])
        struct Marker: Sendable { var at: [Double] }
        let IsMarker = IsObject(Marker.init, field("at", \.at, Self.IsPointText))
        #expect(P.located(IsMarker, ["at": "x"]) == ["at.0|invalid.number.type", "at.count|invalid.tuple.length"])
        #expect(P.located(IsMarker, ["at": 1]) == ["at|invalid.string.type"])
    }

    @Test func bitWriteChecksTheValue() {
        #expect(IsBit.stringify(1) == "1")
        #expect(IsBit.stringify(2) == nil)
    }

    @Test func dynamicAndUnionStringifyValidate() {
        let schema = IsObject(["a": IsString, "n": IsInt.orUndefined])
        #expect(schema.stringify(["a": "x", "extra": 1]) == #"{"a":"x"}"#)
        #expect(schema.stringify(["a": 1]) == nil)
        #expect(schema.stringify(["n": 1]) == nil)
        #expect(IsUnion(IsString.json, IsNumber.json).stringify(true) == nil)
        #expect(IsUnion(IsString.json, IsNumber.json).stringify(1) == "1")
        #expect(IsString.trim.json.stringify(" a ") == #""a""#)
    }
}
