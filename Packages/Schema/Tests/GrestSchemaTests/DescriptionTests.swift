import GrestSchema
import Testing

@Suite("Self-description")
struct DescriptionTests {
    @Test func strings() {
        #expect(IsString.schemaDescription.jsonSchema == ["type": "string"])
        #expect(IsString.nonEmpty.schemaDescription.jsonSchema == ["type": "string", "minLength": 1])
        #expect(IsString.range(2, 5).schemaDescription.jsonSchema == ["type": "string", "minLength": 2, "maxLength": 5])
        #expect(IsString.regex("^[a-z]+$").schemaDescription.jsonSchema == ["type": "string", "pattern": "^[a-z]+$"])
        #expect(IsString.nonEmpty.schemaDescription.node == .string(minLength: 1, maxLength: nil, pattern: nil))
    }

    @Test func numbers() {
        #expect(IsNumber.schemaDescription.jsonSchema == ["type": "number"])
        #expect(IsUint8.schemaDescription.jsonSchema == ["type": "integer", "minimum": 0, "maximum": 255])
        #expect(IsNumber.min(1).multipleOf(0.5).schemaDescription.jsonSchema == ["type": "number", "minimum": 1, "multipleOf": 0.5])
        #expect(IsBit.schemaDescription.jsonSchema == ["type": "integer", "enum": [0, 1]])
        #expect(IsBoolean.schemaDescription.jsonSchema == ["type": "boolean"])
        #expect(IsLiteral("a", "b").schemaDescription.jsonSchema == ["enum": ["a", "b"]])
    }

    @Test func nullableBecomesAnyOfWithNull() {
        #expect(IsString.orNull.schemaDescription.jsonSchema == ["anyOf": [["type": "string"], ["type": "null"]]])
        #expect(IsString.orNull.schemaDescription.isNullable)
        #expect(!IsString.orNull.schemaDescription.isOptional)
        #expect(IsString.orUndefined.schemaDescription.jsonSchema == ["type": "string"])
        #expect(IsString.orUndefined.schemaDescription.isOptional)
        #expect(IsString.orNullish.schemaDescription.jsonSchema == ["anyOf": [["type": "string"], ["type": "null"]]])
    }

    struct Account: Sendable { var id: String; var nickname: String?; var bio: String?; var tags: [String] }

    @Test func objectRequiredListExcludesOptionalFields() {
        let IsAccount = IsObject(
            Account.init, field("id", \.id, IsString), field("nickname", \.nickname, IsString.orUndefined),
            field("bio", \.bio, IsString.orNull), field("tags", \.tags, IsArray(IsString).maxLength(3)))
        #expect(
            IsAccount.schemaDescription.jsonSchema == [
                "type": "object",
                "properties": [
                    "id": ["type": "string"],
                    "nickname": ["type": "string"],
                    "bio": ["anyOf": [["type": "string"], ["type": "null"]]],
                    "tags": ["type": "array", "items": ["type": "string"], "maxItems": 3],
                ],
                "required": ["id", "bio", "tags"],
                "additionalProperties": false,
            ])
        guard case .object(let properties) = IsAccount.schemaDescription.node else {
            Issue.record("not an object node")
            return
        }
        #expect(properties.map(\.name) == ["id", "nickname", "bio", "tags"])
        #expect(properties.map(\.isRequired) == [true, false, true, true])
    }

    @Test func dynamicObjectRequiredList() {
        let schema = IsObject(["a": IsString, "b": IsInt.orUndefined, "c": IsBoolean.orNullish])
        #expect(schema.schemaDescription.jsonSchema["required"] == ["a"])
    }

    @Test func collections() {
        #expect(
            IsTuple(IsString.schema, IsInt.schema).schemaDescription.jsonSchema == [
                "type": "array", "prefixItems": [["type": "string"], ["type": "integer"]], "minItems": 2, "maxItems": 2,
            ])
        #expect(IsRecord(IsString, IsInt).schemaDescription.jsonSchema == ["type": "object", "additionalProperties": ["type": "integer"]])
        #expect(IsUnion(IsString.json, IsNumber.json).schemaDescription.jsonSchema == ["oneOf": [["type": "string"], ["type": "number"]]])
    }

    @Test func docsAndDefaults() {
        let schema = IsUint.default(20).docs(title: "Page size", description: "Items per page", example: 20)
        #expect(
            schema.schemaDescription.jsonSchema == [
                "type": "integer", "minimum": 0, "title": "Page size", "description": "Items per page", "example": 20, "default": 20,
            ])
        #expect(schema.schemaDescription.defaultValue == 20)
    }

    @Test func recursiveReference() {
        struct Node: Sendable { var children: [Node] }
        let IsNode: Schema<Node> = .recursive("Node") { node in
            IsObject(Node.init, field("children", \.children, IsArray(node))).schema
        }
        #expect(IsNode.schemaDescription.jsonSchema["properties"]?["children"]?["items"] == ["$ref": "#/$defs/Node"])
        #expect(IsNode.schemaDescription.jsonSchema["title"] == "Node")
    }
}
