import GrestSchema
import Testing

@Suite("IsObject")
struct ObjectSchemaTests {
    typealias P = SchemaProbe

    // MARK: Fixtures

    struct Ten: Sendable, Equatable {
        var a: String, b: Int, c: Bool, d: Double, e: [String], f: String, g: Int, h: UInt8, i: String, j: Int
    }

    static let IsTen = IsObject(
        Ten.init,
        field("a", \.a, IsString), field("b", \.b, IsInt), field("c", \.c, IsBoolean), field("d", \.d, IsNumber),
        field("e", \.e, IsArray(IsString)), field("f", \.f, IsString.nonEmpty), field("g", \.g, IsUint),
        field("h", \.h, IsUint8), field("i", \.i, IsString.maxLength(1)), field("j", \.j, IsInt.multipleOf(2))
    )

    struct Item: Sendable, Equatable { var id: String; var qty: Int }
    struct Customer: Sendable, Equatable { var name: String; var email: String? }
    struct Order: Sendable, Equatable { var id: String; var customer: Customer; var items: [Item] }
    struct Envelope: Sendable, Equatable { var order: Order }

    static let IsItem = IsObject(Item.init, field("id", \.id, IsString.nonEmpty), field("qty", \.qty, IsPosInt))
    static let IsCustomer = IsObject(Customer.init, field("name", \.name, IsString), field("email", \.email, IsString.orUndefined))
    static let IsOrder = IsObject(
        Order.init, field("id", \.id, IsString), field("customer", \.customer, IsCustomer), field("items", \.items, IsArray(IsItem)))
    static let IsEnvelope = IsObject(Envelope.init, field("order", \.order, IsOrder))

    struct Profile: Sendable, Equatable { var nickname: String?; var bio: String?; var age: Int? }
    static let IsProfile = IsObject(
        Profile.init, field("nickname", \.nickname, IsString.orUndefined), field("bio", \.bio, IsString.orNull),
        field("age", \.age, IsUint.orNullish))

    // MARK: Typed objects

    @Test func tenBadFieldsGiveTenIssuesWithTheirPaths() {
        let bad: JSONValue = [
            "a": 1, "b": 1.5, "c": "yes", "d": "x", "e": [1], "f": "", "g": -1, "h": 256, "i": "ab", "j": 3,
        ]
        #expect(
            P.located(Self.IsTen, bad) == [
                "a|invalid.string.type", "b|invalid.number.integer", "c|invalid.boolean.type", "d|invalid.number.type",
                "e.0|invalid.string.type", "f|invalid.string.nonEmpty", "g|invalid.number.min", "h|invalid.number.range",
                "i|invalid.string.maxLength", "j|invalid.number.multipleOf",
            ])
        let good: JSONValue = ["a": "a", "b": 1, "c": true, "d": 0.5, "e": ["x"], "f": "f", "g": 0, "h": 255, "i": "i", "j": 4]
        #expect(P.output(Self.IsTen, good) == Ten(a: "a", b: 1, c: true, d: 0.5, e: ["x"], f: "f", g: 0, h: 255, i: "i", j: 4))
    }

    @Test func missingFieldsAreRequiredInDeclarationOrder() {
        #expect(P.located(Self.IsItem, [:]) == ["id|required", "qty|required"])
        #expect(P.located(Self.IsItem, ["qty": nil, "id": nil]) == ["id|required", "qty|required"])
    }

    @Test(arguments: [JSONValue.string("x"), .number(1), .array([]), .bool(true)])
    func nonObjectsAreRejected(value: JSONValue) {
        #expect(P.located(Self.IsItem, value) == ["|invalid.object.type"])
    }

    @Test func extraKeysAreStrippedAtEveryDepth() throws {
        let input: JSONValue = [
            "order": [
                "id": "o1", "secret": "s",
                "customer": ["name": "Ann", "password": "hunter2"],
                "items": [["id": "i1", "qty": 1, "debug": true], ["id": "i2", "qty": 2, "x": ["y": 1]]],
            ],
            "trace": "t",
        ]
        let envelope = try Self.IsEnvelope.parse(input)
        #expect(
            Self.IsEnvelope.stringify(envelope)
                == #"{"order":{"id":"o1","customer":{"name":"Ann"},"items":[{"id":"i1","qty":1},{"id":"i2","qty":2}]}}"#)
        #expect(
            Self.IsEnvelope.encode(envelope)
                == ["order": ["id": "o1", "customer": ["name": "Ann"], "items": [["id": "i1", "qty": 1], ["id": "i2", "qty": 2]]]])
        // `is` accepts the same input with its extra keys.
        #expect(Self.IsEnvelope.is(input))
    }

    @Test func nestedPathsUseDotsAndIndexes() {
        let input: JSONValue = [
            "order": ["id": "o1", "customer": ["name": 5], "items": [["id": "i1", "qty": 1], ["id": "", "qty": 0]]]
        ]
        #expect(
            P.located(Self.IsEnvelope, input) == [
                "order.customer.name|invalid.string.type", "order.items.1.id|invalid.string.nonEmpty", "order.items.1.qty|invalid.number.min",
            ])
    }

    @Test func aSchemaBehavesTheSameAloneAndNested() {
        let items: [JSONValue] = [["id": "", "qty": 1.5], ["qty": "2"], "item", ["id": "ok", "qty": 1, "extra": 1]]
        for item in items {
            let alone = P.issues(Self.IsItem, item)
            let nested = P.issues(Self.IsEnvelope, ["order": ["id": "o", "customer": ["name": "n"], "items": [item]]])
            #expect(alone.map(\.code) == nested.map(\.code))
            #expect(alone.map { $0.path.isEmpty ? "order.items.0" : "order.items.0.\($0.path)" } == nested.map(\.path))
            #expect(alone.map(\.message) == nested.map(\.message))
            #expect(alone.map(\.params) == nested.map(\.params))
            #expect(Self.IsItem.is(item) == Self.IsEnvelope.is(["order": ["id": "o", "customer": ["name": "n"], "items": [item]]]))
        }
    }

    @Test func optionalFieldsOnParse() throws {
        #expect(try Self.IsProfile.parse(["bio": nil]) == Profile(nickname: nil, bio: nil, age: nil))
        #expect(try Self.IsProfile.parse(["nickname": "n", "bio": "b", "age": nil]) == Profile(nickname: "n", bio: "b", age: nil))
        // orUndefined accepts absence only; orNull accepts null only.
        #expect(P.located(Self.IsProfile, ["nickname": nil, "bio": nil]) == ["nickname|required"])
        #expect(P.located(Self.IsProfile, [:]) == ["bio|required"])
    }

    @Test func stringifyOmitsUndefinedAndKeepsNull() {
        #expect(Self.IsProfile.stringify(Profile(nickname: nil, bio: nil, age: nil)) == #"{"bio":null}"#)
        #expect(Self.IsProfile.stringify(Profile(nickname: "n", bio: "b", age: 3)) == #"{"nickname":"n","bio":"b","age":3}"#)
        #expect(Self.IsProfile.encode(Profile(nickname: nil, bio: nil, age: nil)) == ["bio": nil])
        #expect(IsString.orUndefined.stringify(nil) == nil)
        #expect(IsString.orNull.stringify(nil) == "null")
        #expect(IsString.orUndefined.stringify("a") == #""a""#)
    }

    // MARK: Defaults and refinements

    struct Page: Sendable, Equatable { var page: Int; var size: Int; var sort: String? }
    static let pageTooLarge = try! IssueKey.define("test.core.object.pageTooLarge", "Page window too large")
    static let negativeDefault = try! IssueKey.define("test.core.object.negativeDefault", "Must be positive")
    static let IsPage = IsObject(
        Page.init, field("page", \.page, IsUint.default(1)), field("size", \.size, IsUint.max(100).default(20)),
        field("sort", \.sort, IsString.orUndefined)
    ).refine(pageTooLarge) { $0.page * $0.size <= 1000 }

    @Test func defaultsApplyOnlyWhenCoercing() throws {
        #expect(P.located(Self.IsPage, [:]) == ["page|required", "size|required"])
        #expect(try Self.IsPage.parse([:], coerce: true) == Page(page: 1, size: 20, sort: nil))
        #expect(try Self.IsPage.parse(["page": nil, "size": "5"], coerce: true) == Page(page: 1, size: 5, sort: nil))
        #expect(try IsString.default("d").parse(nil, coerce: true) == "d")
        #expect(try IsString.default("d").parse(.null, coerce: true) == "d")
        #expect(P.codes(IsString.default("d"), nil) == ["required"])
        // A present value is parsed normally.
        #expect(P.codes(IsString.default("d"), 1) == ["invalid.string.type"])
    }

    @Test func defaultsAreNotValidatedButRefinementsSeeThem() {
        // grest-ts returns the default as is...
        #expect(P.codes(IsUint.default(-1), nil, coerce: true) == [])
        // ...but a refinement added on top runs on it.
        let refined = IsInt.default(-1).refine(Self.negativeDefault) { $0 >= 0 }
        #expect(P.codes(refined, nil, coerce: true) == ["test.core.object.negativeDefault"])
        // An object-level refinement sees the defaulted fields: 60 * 20 > 1000.
        #expect(P.located(Self.IsPage, ["page": 60], coerce: true) == ["|test.core.object.pageTooLarge"])
        #expect(P.codes(Self.IsPage, ["page": 50], coerce: true) == [])
    }

    @Test func objectRefinementRunsOnlyWhenEveryFieldIsValid() {
        // IsUint.max(100) has both bounds, so the size error is a range.
        #expect(P.located(Self.IsPage, ["page": 60, "size": 101]) == ["size|invalid.number.range"])
        #expect(P.located(Self.IsPage, ["page": 60, "size": 100]) == ["|test.core.object.pageTooLarge"])
        #expect(P.issues(Self.IsPage, ["page": 60, "size": 100]).first?.params == [:])
        #expect(P.issues(Self.IsPage, ["page": 60, "size": 100]).first?.message == "Page window too large")
        // Nested: at the field's path.
        struct Wrapper: Sendable { var paging: Page }
        let IsWrapper = IsObject(Wrapper.init, field("paging", \.paging, Self.IsPage))
        #expect(P.located(IsWrapper, ["paging": ["page": 60, "size": 100]]) == ["paging|test.core.object.pageTooLarge"])
    }

    // MARK: Recursion

    struct TreeNode: Sendable, Equatable { var name: String; var children: [TreeNode] }
    static let IsTreeNode: Schema<TreeNode> = .recursive("TreeNode") { node in
        IsObject(TreeNode.init, field("name", \.name, IsString.nonEmpty), field("children", \.children, IsArray(node))).schema
    }

    @Test func recursiveSchemas() throws {
        let input: JSONValue = [
            "name": "root", "x": 1,
            "children": [["name": "a", "children": []], ["name": "b", "children": [["name": "c", "children": [], "y": 2]]]],
        ]
        let tree = try Self.IsTreeNode.parse(input)
        #expect(tree.children[1].children[0].name == "c")
        #expect(
            Self.IsTreeNode.stringify(tree)
                == #"{"name":"root","children":[{"name":"a","children":[]},{"name":"b","children":[{"name":"c","children":[]}]}]}"#)
        let bad: JSONValue = ["name": "root", "children": [["name": "a", "children": []], ["name": "b", "children": [["name": ""]]]]]
        #expect(P.located(Self.IsTreeNode, bad) == ["children.1.children.0.name|invalid.string.nonEmpty", "children.1.children.0.children|required"])
        #expect(Self.IsTreeNode.schemaDescription.docs.title == "TreeNode")
    }

    // MARK: Dynamic objects

    static let IsDynamicUser = IsObject([
        "id": IsString.nonEmpty, "age": IsUint, "tags": IsArray(IsString).orUndefined, "bio": IsString.orNull,
        "address": IsObject(["city": IsString]),
    ])

    @Test func dynamicObjectParsesIntoCleanedJSON() throws {
        let parsed = try Self.IsDynamicUser.parse([
            "extra": 1, "bio": nil, "id": "u1", "age": 3, "address": ["city": "Tartu", "zip": "x"],
        ])
        // Shape order, extras stripped at every depth, absent optional left out, null kept.
        #expect(parsed == ["id": "u1", "age": 3, "bio": nil, "address": ["city": "Tartu"]])
        #expect(parsed.keys == ["id", "age", "bio", "address"])
        #expect(Self.IsDynamicUser.stringify(parsed) == #"{"id":"u1","age":3,"bio":null,"address":{"city":"Tartu"}}"#)
    }

    @Test func dynamicObjectIssues() {
        #expect(
            P.located(Self.IsDynamicUser, ["id": "", "age": -1, "tags": [1], "address": [:]]) == [
                "id|invalid.string.nonEmpty", "age|invalid.number.min", "tags.0|invalid.string.type", "bio|required",
                "address.city|required",
            ])
        #expect(P.located(Self.IsDynamicUser, [1]) == ["|invalid.object.type"])
        #expect(P.codes(Self.IsDynamicUser, ["id": "u", "age": 1, "bio": nil, "address": ["city": "c"], "tags": nil]) == ["required"])
    }

    @Test func dynamicObjectOperations() throws {
        let base = IsObject(["a": IsString, "b": IsInt])
        #expect(base.extend(["c": IsBoolean]).shape.map(\.name) == ["a", "b", "c"])
        // Like `{...shape, ...more}`: a replaced key keeps its position and takes the new schema.
        let replaced = base.extend(["a": IsInt, "d": IsBit])
        #expect(replaced.shape.map(\.name) == ["a", "b", "d"])
        #expect(try replaced.parse(["a": 1, "b": 2, "d": 1]) == ["a": 1, "b": 2, "d": 1])
        #expect(P.located(replaced, ["a": "x", "b": 2, "d": 1]) == ["a|invalid.number.type"])

        let merged = base.merge(IsObject(["b": IsString, "z": IsString]))
        #expect(merged.shape.map(\.name) == ["a", "b", "z"])
        #expect(try merged.parse(["a": "1", "b": "2", "z": "3"]) == ["a": "1", "b": "2", "z": "3"])

        #expect(base.pick("b", "missing").shape.map(\.name) == ["b"])
        #expect(base.omit("a").shape.map(\.name) == ["b"])
        #expect(try base.omit("a").parse(["a": 1, "b": 2]) == ["b": 2])
        #expect(try base.pick("a").parse(["a": "x", "b": "not an int"]) == ["a": "x"])
    }

    @Test func dynamicObjectDefaultsApplyWhenCoercing() throws {
        let schema = IsObject(["page": IsUint.default(1), "q": IsString.orUndefined])
        #expect(try schema.parse([:], coerce: true) == ["page": 1])
        #expect(P.located(schema, [:]) == ["page|required"])
    }
}
