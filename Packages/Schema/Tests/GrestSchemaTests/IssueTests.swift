import GrestSchema
import Testing

@Suite("Issues and issue keys")
struct IssueTests {
    typealias P = SchemaProbe

    // MARK: Templates

    @Test func builtInMessagesAreRenderedWithParams() {
        let issue = P.issues(IsString.minLength(8), "abc").first
        #expect(issue?.code == "invalid.string.minLength")
        #expect(issue?.message == "Value must be at least 8 characters")
        #expect(issue?.params == ["min": 8])
        #expect(P.issues(IsLiteral("a", "b"), "c").first?.message == "Value must be one of: a, b")
        #expect(P.issues(IsLiteral("a", "b"), "c").first?.params == ["expected": "a, b"])
        #expect(P.issues(IsLiteral(1, 2), 3).first?.message == "Value must be one of: 1, 2")
        #expect(P.issues(IsLiteral(true), false).first?.message == "Value must be one of: true")
        #expect(P.issues(IsNumber.min(0.5), 0).first?.message == "Value must be at least 0.5")
        #expect(P.issues(IsNumber.min(-3), -4).first?.message == "Value must be at least -3")
    }

    @Test func placeholders() throws {
        let key = try IssueKey.define("test.core.issue.placeholders", "Hi {name}, {missing} {count}!")
        #expect(key.message(["name": "Ann", "count": 3]) == "Hi Ann, {missing} 3!")
        // No params: the template as is.
        #expect(key.message([:]) == "Hi {name}, {missing} {count}!")
        // `String(params[key] ?? "{key}")`: a null param counts as missing.
        #expect(key.message(["name": nil, "count": 1]) == "Hi {name}, {missing} 1!")
        // Values print as JavaScript's String() would.
        #expect(key.message(["name": "x", "count": 1.5]) == "Hi x, {missing} 1.5!")
        #expect(key.message(["name": true, "count": -0.0]) == "Hi true, {missing} 0!")
        #expect(key.message(["name": ["a", "b"], "count": [1, 2]]) == "Hi a,b, {missing} 1,2!")
    }

    @Test func placeholderSyntaxFollowsTheGrestRegex() throws {
        // grest-ts replaces /\{(\w+)\}/g: only word characters between braces.
        let key = try IssueKey.define("test.core.issue.syntax", "{{min}} {min {a-b} {} {min}}")
        #expect(key.message(["min": 3, "a-b": 1]) == "{3} {min {a-b} {} 3}")
    }

    // MARK: Wire JSON

    @Test func wireJSONHasNoValueAndOmitsEmptyParams() throws {
        let issues = try #require(IsString.minLength(8).safeParse("secret").failure)
        #expect(issues[0].value == "secret")
        #expect(
            issues.json == [["path": "", "code": "invalid.string.minLength", "message": "Value must be at least 8 characters", "params": ["min": 8]]])
        #expect(
            issues.json.jsonString
                == #"[{"path":"","code":"invalid.string.minLength","message":"Value must be at least 8 characters","params":{"min":8}}]"#)

        struct Login: Sendable { var password: String }
        let IsLogin = IsObject(Login.init, field("password", \.password, IsString))
        let typeIssue = try #require(IsLogin.safeParse(["password": 12345678]).failure)
        #expect(typeIssue[0].value == 12345678)
        #expect(typeIssue.json.jsonString == #"[{"path":"password","code":"invalid.string.type","message":"Value must be a string"}]"#)
        #expect(typeIssue[0].json.objectValue?.keys == ["path", "code", "message"])
    }

    @Test func issueListRoundTripsThroughWireJSON() throws {
        let list = try #require(IsArray(IsUint8).safeParse([1, 300, "x"]).failure)
        let back = try #require(IssueList(json: list.json))
        #expect(back.map(\.code) == list.map(\.code))
        #expect(back.map(\.path) == ["1", "2"])
        #expect(back.map(\.message) == list.map(\.message))
        #expect(back.map(\.params) == list.map(\.params))
        #expect(back.allSatisfy { $0.value == nil })
        #expect(IssueList(json: ["not an issue"]) == nil)
        #expect(IssueList(json: [:]) == nil)
    }

    @Test func descriptions() throws {
        let list = try #require(IsArray(IsString).safeParse(["a", 1]).failure)
        #expect(list.description == "1: invalid.string.type: Value must be a string")
        #expect(GrestSchema.Issue(path: "", code: "required", message: "Value is required").description == "required: Value is required")
    }

    // MARK: Registry

    /// Every code of grest-ts's issue table (its ISSUE_CODES).
    static let grestCodes = [
        "required",
        "invalid.string.type", "invalid.string.nonEmpty", "invalid.string.minLength", "invalid.string.maxLength", "invalid.string.range",
        "invalid.string.pattern",
        "invalid.number.type", "invalid.number.integer", "invalid.number.min", "invalid.number.max", "invalid.number.range",
        "invalid.number.multipleOf",
        "invalid.boolean.type", "invalid.bit.type", "invalid.literal.invalid", "invalid.object.type",
        "invalid.array.type", "invalid.array.minLength", "invalid.array.maxLength", "invalid.array.range",
        "invalid.tuple.type", "invalid.tuple.length", "invalid.record.type", "invalid.union.invalid",
        "invalid.dunion.notObject", "invalid.dunion.missingDiscriminator", "invalid.dunion.unknownVariant",
        "invalid.email", "invalid.url", "invalid.date.format", "invalid.date.invalid", "invalid.datetime.format", "invalid.datetime.invalid",
        "invalid.time", "invalid.ip", "invalid.phone.countryCode", "invalid.phone.length", "invalid.phone.format",
        "invalid.password.type", "invalid.password.tooShort", "invalid.password.tooLong", "invalid.password.needsLetter",
        "invalid.password.needsNumber", "invalid.password.needsLowercase", "invalid.password.needsUppercase", "invalid.password.needsSpecial",
        "invalid.country", "invalid.currency", "invalid.locale", "invalid.language", "invalid.bearer.format",
    ]

    @Test func registryListsEveryBuiltInCode() {
        let registered = Set(IssueKey.registry.map(\.code))
        #expect(Set(Self.grestCodes).subtracting(registered).isEmpty, "missing: \(Set(Self.grestCodes).subtracting(registered))")
        let codes = IssueKey.registry.map(\.code)
        #expect(codes == codes.sorted())
        #expect(IssueKey.lookup("invalid.tuple.length")?.template == "Expected {expected} elements, got {actual}")
        #expect(IssueKey.lookup("invalid.tuple.length")?.parameters == ["expected": "Expected length", "actual": "Actual length"])
        #expect(IssueKey.lookup("test.core.issue.never-defined") == nil)
        let json = IssueKey.registryJSON
        #expect(json["invalid.string.minLength"]?["template"] == "Value must be at least {min} characters")
        #expect(json["invalid.string.minLength"]?["params"] == ["min": "Minimum length"])
    }

    @Test func builtInTemplatesAreVerbatim() {
        let expected: [String: String] = [
            "required": "Value is required",
            "invalid.string.range": "Value must be between {min} and {max} characters",
            "invalid.number.multipleOf": "Value must be a multiple of {multipleOf}",
            "invalid.literal.invalid": "Value must be one of: {expected}",
            "invalid.array.range": "Array length must be between {min} and {max}",
            "invalid.dunion.unknownVariant": "Unknown variant '{value}' for discriminator '{field}'",
            "invalid.phone.length": "Phone length must be 8-15 characters",
            "invalid.bearer.format": "Expected a Bearer token in the format 'Bearer <token>'",
        ]
        for (code, template) in expected {
            #expect(IssueKey.lookup(code)?.template == template, "\(code)")
        }
    }

    @Test func definingADuplicateCodeThrows() throws {
        let key = try IssueKey.define("test.core.issue.duplicate", "Once", parameters: ["x": "An x"])
        #expect(IssueKey.lookup("test.core.issue.duplicate") == key)
        #expect(IssueKey.registry.contains(key))
        #expect(throws: IssueKey.DefinitionError.duplicateCode("test.core.issue.duplicate")) {
            try IssueKey.define("test.core.issue.duplicate", "Twice")
        }
        #expect(throws: IssueKey.DefinitionError.duplicateCode("required")) { try IssueKey.define("required", "Again") }
        #expect(throws: IssueKey.DefinitionError.duplicateCode("invalid.string.type")) {
            try IssueKey.defineInvalid("string.type", "Again")
        }
        // grest-ts's message, verbatim.
        #expect(
            IssueKey.DefinitionError.duplicateCode("x.y").description == "Validation error code 'x.y' is already registered")
        // The original stays registered.
        #expect(IssueKey.lookup("test.core.issue.duplicate")?.template == "Once")
    }

    @Test func defineInvalidAddsThePrefix() throws {
        let key = try IssueKey.defineInvalid("test.core.issue.prefixed", "Bad {what}", parameters: ["what": "The thing"])
        #expect(key.code == "invalid.test.core.issue.prefixed")
        #expect(key.message(["what": "input"]) == "Bad input")
    }

    @Test func customKeysWorkInRefinements() throws {
        let key = try IssueKey.define("test.core.issue.even", "Must be even")
        let issues = P.issues(IsInt.refine(key) { $0 % 2 == 0 }, 3)
        #expect(issues.map(\.code) == ["test.core.issue.even"])
        #expect(issues.first?.message == "Must be even")
    }

    // MARK: Localisation

    @Test func localizerRewritesMessagesOnTheWire() throws {
        let key = try IssueKey.define("test.core.issue.localized", "Hello {name}")
        let issue = GrestSchema.Issue(path: "greeting", code: key.code, message: key.message(["name": "Ann"]), params: ["name": "Ann"])
        // The localizer is process-global and other suites run concurrently: it only touches this test's code
        // and the previous hook is restored.
        let previous = IssueKey.localizer
        IssueKey.localizer = { issue in
            if issue.code == "test.core.issue.localized", let name = issue.params["name"]?.stringValue {
                issue.message = "Tere, \(name)"
            } else {
                previous?(&issue)
            }
        }
        defer { IssueKey.localizer = previous }
        #expect(issue.json["message"] == "Tere, Ann")
        #expect(IssueList([issue]).json[0]?["message"] == "Tere, Ann")
        // The in-process issue keeps its original message.
        #expect(issue.message == "Hello Ann")
    }
}

extension Result {
    /// The failure, if any (test convenience).
    fileprivate var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

extension JSONValue {
    /// Array element access (test convenience).
    fileprivate subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
