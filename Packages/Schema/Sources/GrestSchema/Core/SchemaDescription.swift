/// The self-description of a schema (grest-ts `toSchemaDescription`): a walkable tree for docs and OpenAPI.
public struct SchemaDescription: Sendable, Hashable {
    /// The shape of the value.
    public indirect enum Node: Sendable, Hashable {
        case string(minLength: Int?, maxLength: Int?, pattern: String?)
        case number(integer: Bool, min: Double?, max: Double?, multipleOf: Double?)
        case boolean
        case bit
        case literal([JSONValue])
        case array(element: SchemaDescription, minItems: Int?, maxItems: Int?)
        case object(properties: [Property])
        case record(value: SchemaDescription)
        case union([SchemaDescription])
        case discriminated(field: String, variants: [SchemaDescription])
        case tuple([SchemaDescription])
        case any
        case unknown
        case password(minLength: Int, maxLength: Int)
        /// A recursive reference to the schema named `name` (from `Schema.recursive`).
        case reference(String)
    }

    /// One object property; `isRequired` is false for `orUndefined` fields.
    public struct Property: Sendable, Hashable {
        public var name: String
        public var schema: SchemaDescription
        public var isRequired: Bool

        public init(name: String, schema: SchemaDescription, isRequired: Bool) {
            self.name = name
            self.schema = schema
            self.isRequired = isRequired
        }
    }

    /// Documentation attached with `.docs(...)` or `.brand(...)`.
    public struct Docs: Sendable, Hashable {
        public var title: String?
        public var description: String?
        public var example: JSONValue?
        public var examples: [JSONValue]?
        public var isDeprecated: Bool = false
        public var format: String?
        public var brand: String?

        public init(
            title: String? = nil, description: String? = nil, example: JSONValue? = nil, examples: [JSONValue]? = nil,
            isDeprecated: Bool = false, format: String? = nil, brand: String? = nil
        ) {
            self.title = title
            self.description = description
            self.example = example
            self.examples = examples
            self.isDeprecated = isDeprecated
            self.format = format
            self.brand = brand
        }
    }

    public var node: Node
    public var docs: Docs
    public var isNullable: Bool
    public var isOptional: Bool
    public var defaultValue: JSONValue?

    public init(_ node: Node, docs: Docs = Docs(), isNullable: Bool = false, isOptional: Bool = false, defaultValue: JSONValue? = nil) {
        self.node = node
        self.docs = docs
        self.isNullable = isNullable
        self.isOptional = isOptional
        self.defaultValue = defaultValue
    }

    /// A JSON Schema (draft 2020-12 subset) rendering, as used for OpenAPI documents.
    public var jsonSchema: JSONValue {
        var object = JSONObject()
        switch node {
        case .string(let minLength, let maxLength, let pattern):
            object.append("type", "string")
            if let minLength { object.append("minLength", .number(Double(minLength))) }
            if let maxLength { object.append("maxLength", .number(Double(maxLength))) }
            if let pattern { object.append("pattern", .string(pattern)) }
        case .number(let integer, let min, let max, let multipleOf):
            object.append("type", integer ? "integer" : "number")
            if let min { object.append("minimum", .number(min)) }
            if let max { object.append("maximum", .number(max)) }
            if let multipleOf { object.append("multipleOf", .number(multipleOf)) }
        case .boolean:
            object.append("type", "boolean")
        case .bit:
            object.append("type", "integer")
            object.append("enum", [0, 1])
        case .literal(let values):
            object.append("enum", .array(values))
        case .array(let element, let minItems, let maxItems):
            object.append("type", "array")
            object.append("items", element.jsonSchema)
            if let minItems { object.append("minItems", .number(Double(minItems))) }
            if let maxItems { object.append("maxItems", .number(Double(maxItems))) }
        case .object(let properties):
            object.append("type", "object")
            var props = JSONObject()
            for property in properties { props.append(property.name, property.schema.jsonSchema) }
            object.append("properties", .object(props))
            let required = properties.filter(\.isRequired).map { JSONValue.string($0.name) }
            if !required.isEmpty { object.append("required", .array(required)) }
            object.append("additionalProperties", false)
        case .record(let value):
            object.append("type", "object")
            object.append("additionalProperties", value.jsonSchema)
        case .union(let variants):
            object.append("oneOf", .array(variants.map(\.jsonSchema)))
        case .discriminated(let field, let variants):
            object.append("oneOf", .array(variants.map(\.jsonSchema)))
            object.append("discriminator", ["propertyName": .string(field)])
        case .tuple(let elements):
            object.append("type", "array")
            object.append("prefixItems", .array(elements.map(\.jsonSchema)))
            object.append("minItems", .number(Double(elements.count)))
            object.append("maxItems", .number(Double(elements.count)))
        case .any, .unknown:
            break
        case .password(let minLength, let maxLength):
            object.append("type", "string")
            object.append("format", "password")
            object.append("minLength", .number(Double(minLength)))
            object.append("maxLength", .number(Double(maxLength)))
        case .reference(let name):
            object.append("$ref", .string("#/$defs/\(name)"))
        }
        if let title = docs.title { object.append("title", .string(title)) }
        if let description = docs.description { object.append("description", .string(description)) }
        if let example = docs.example { object.append("example", example) }
        if let examples = docs.examples { object.append("examples", .array(examples)) }
        if docs.isDeprecated { object.append("deprecated", true) }
        if let format = docs.format, object["format"] == nil { object.append("format", .string(format)) }
        if let brand = docs.brand { object.append("x-brand", .string(brand)) }
        if let defaultValue { object.append("default", defaultValue) }
        if isNullable { return ["anyOf": [.object(object), ["type": "null"]]] }
        return .object(object)
    }
}
