import GrestSchema
import Testing

@Suite("IsString")
struct StringSchemaTests {
    typealias P = SchemaProbe

    @Test func acceptsStringsAndReturnsThemUnchanged() throws {
        #expect(try IsString.parse("hello") == "hello")
        #expect(try IsString.parse("") == "")
        #expect(try IsString.parse(" padded ") == " padded ")
    }

    @Test(
        arguments: [
            (JSONValue.number(1), "invalid.string.type"),
            (true, "invalid.string.type"),
            ([], "invalid.string.type"),
            ([:], "invalid.string.type"),
            (nil, "required"),
        ] as [(JSONValue, String)])
    func rejectsNonStrings(value: JSONValue, code: String) {
        #expect(P.codes(IsString, value) == [code])
        #expect(P.paths(IsString, value) == [""])
    }

    @Test func absentValueIsRequired() {
        #expect(P.codes(IsString, nil as JSONValue?) == ["required"])
    }

    @Test func nonEmpty() {
        #expect(P.codes(IsString.nonEmpty, "") == ["invalid.string.nonEmpty"])
        #expect(P.codes(IsString.nonEmpty, "x") == [])
        #expect(P.issues(IsString.nonEmpty, "").first?.message == "Value must not be empty")
    }

    @Test func minLengthAndMaxLengthAlone() {
        let min = P.issues(IsString.minLength(3), "ab")
        #expect(min.map(\.code) == ["invalid.string.minLength"])
        #expect(min.first?.params == ["min": 3])
        #expect(min.first?.message == "Value must be at least 3 characters")
        #expect(P.codes(IsString.minLength(3), "abc") == [])

        let max = P.issues(IsString.maxLength(3), "abcd")
        #expect(max.map(\.code) == ["invalid.string.maxLength"])
        #expect(max.first?.params == ["max": 3])
        #expect(max.first?.message == "Value must be at most 3 characters")
        #expect(P.codes(IsString.maxLength(3), "abc") == [])
    }

    @Test(arguments: [
        ("range(2, 4)", IsString.range(2, 4)),
        ("minLength(2).maxLength(4)", IsString.minLength(2).maxLength(4)),
        ("maxLength(4).minLength(2)", IsString.maxLength(4).minLength(2)),
    ])
    func bothBoundsReportRange(label: String, schema: StringSchema) {
        for value: JSONValue in ["a", "abcde"] {
            let issues = P.issues(schema, value)
            #expect(issues.map(\.code) == ["invalid.string.range"], "\(label)")
            #expect(issues.first?.params == ["min": 2, "max": 4], "\(label)")
            #expect(issues.first?.message == "Value must be between 2 and 4 characters", "\(label)")
        }
        #expect(P.codes(schema, "ab") == [])
        #expect(P.codes(schema, "abcd") == [])
    }

    @Test func constraintsAccumulateInGrestOrder() {
        // nonEmpty, then the length rule, then the pattern: all at the same path.
        #expect(P.codes(IsString.nonEmpty.minLength(3), "") == ["invalid.string.nonEmpty", "invalid.string.minLength"])
        #expect(
            P.codes(IsString.nonEmpty.range(2, 5).regex("^a"), "")
                == ["invalid.string.nonEmpty", "invalid.string.range", "invalid.string.pattern"])
        #expect(P.paths(IsString.nonEmpty.range(2, 5).regex("^a"), "") == ["", "", ""])
    }

    @Test func lengthsCountUTF16CodeUnits() {
        // JavaScript `length`: an emoji outside the BMP is two code units, "é" (precomposed) one.
        #expect(P.codes(IsString.maxLength(1), "😀") == ["invalid.string.maxLength"])
        #expect(P.codes(IsString.minLength(2), "😀") == [])
        #expect(P.codes(IsString.maxLength(1), "é") == [])
        #expect(P.codes(IsString.maxLength(1), "e\u{301}") == ["invalid.string.maxLength"])
    }

    @Test func patternWithoutIssueReportsPattern() {
        let schema = IsString.regex("^[a-z]+$")
        #expect(P.codes(schema, "abc") == [])
        let issues = P.issues(schema, "ABC")
        #expect(issues.map(\.code) == ["invalid.string.pattern"])
        #expect(issues.first?.message == "Value does not match required pattern")
        #expect(issues.first?.params == [:])
    }

    @Test func patternIsSearchedAnywhereUnlessAnchored() {
        #expect(P.codes(IsString.regex("b"), "abc") == [])
        #expect(P.codes(IsString.regex("^b"), "abc") == ["invalid.string.pattern"])
    }

    @Test func patternGivesTheSameAnswerOnRepeatedCalls() {
        // grest-ts strips the `g` flag so `RegExp.lastIndex` cannot flip answers; Swift regexes are stateless.
        let schema = IsString.regex("a")
        for _ in 0..<5 {
            #expect(schema.is("a"))
            #expect(!schema.is("b"))
        }
    }

    @Test func patternWithIssueIsARefinementRunningLast() throws {
        let noDigits = try IssueKey.define("test.core.string.noDigits", "Must not contain digits")
        let noSpaces = try IssueKey.define("test.core.string.noSpaces", "Must not contain spaces")
        let schema = IsString.minLength(3).regex("^[^0-9]*$", issue: noDigits).regex("^[^ ]*$", issue: noSpaces)
        // A built-in failure suppresses the refinement patterns.
        #expect(P.codes(schema, "1 ") == ["invalid.string.minLength"])
        // The first failing refinement wins.
        #expect(P.codes(schema, "1 2 3") == ["test.core.string.noDigits"])
        #expect(P.codes(schema, "a b c") == ["test.core.string.noSpaces"])
        #expect(P.issues(schema, "a b c").first?.params == [:])
        #expect(P.codes(schema, "abc") == [])
    }

    @Test func trimNormalisesWhenParsing() throws {
        #expect(try IsString.trim.parse("  hi \n") == "hi")
        // JavaScript's trim also strips NBSP, BOM, line/paragraph separators and ideographic spaces.
        #expect(try IsString.trim.parse("\u{00A0}\u{FEFF}hi\u{2028}\u{3000}") == "hi")
        // Inner whitespace is kept.
        #expect(try IsString.trim.parse(" a b ") == "a b")
    }

    @Test func trimIsAppliedBeforeLengthChecks() {
        #expect(P.codes(IsString.trim.nonEmpty, "   ") == ["invalid.string.nonEmpty"])
        #expect(P.codes(IsString.trim.minLength(2), " a ") == ["invalid.string.minLength"])
        #expect(P.codes(IsString.trim.maxLength(1), " a ") == [])
        #expect(P.codes(IsString.nonEmpty.trim, "\t") == ["invalid.string.nonEmpty"])
    }

    @Test func isRejectsUntrimmedInputForTrim() {
        #expect(IsString.trim.is("a"))
        #expect(!IsString.trim.is(" a"))
        #expect(!IsString.trim.is("a\n"))
        #expect(IsString.is(" a"))
    }

    @Test func stringifyTrimsAndChecks() {
        #expect(IsString.stringify("a\"b") == #""a\"b""#)
        #expect(IsString.trim.stringify("  a ") == #""a""#)
        #expect(IsString.nonEmpty.stringify("") == nil)
        #expect(IsString.maxLength(2).stringify("abc") == nil)
        #expect(throws: IssueList.self) { try IsString.minLength(2).schema.validate("a") }
    }

    @Test func issuesCarryTheOffendingValueLocally() {
        #expect(P.issues(IsString.minLength(5), "abc").first?.value == "abc")
    }
}
