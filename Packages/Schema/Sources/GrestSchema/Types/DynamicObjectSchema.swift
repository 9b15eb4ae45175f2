/// A JSON object described by a shape of named schemas, read into a cleaned ``JSONObject``
/// (grest-ts `IsObject({...})` with `extend`, `merge`, `pick` and `omit`).
///
/// Use it where the data stays dynamic (proxies, documents, generic tooling); use the typed
/// ``IsObject(_:_:)`` to read into Swift structs.
public struct DynamicObjectSchema: SchemaConvertible {
    /// The shape, in declaration order.
    public let shape: [(name: String, schema: Schema<JSONValue>)]

    public init(_ shape: [(name: String, schema: Schema<JSONValue>)]) {
        self.shape = shape
    }

    /// Adds or replaces properties; the result is a fresh schema (refinements and docs are not carried over).
    public func extend(_ more: KeyValuePairs<String, any SchemaConvertible>) -> DynamicObjectSchema {
        merge(DynamicObjectSchema(more.map { (name: $0.key, schema: eraseExistential($0.value)) }))
    }

    /// Adds or replaces properties with those of `other` (`other` wins). Like `{...shape, ...other}`, a replaced
    /// property keeps its position; new ones are appended.
    public func merge(_ other: DynamicObjectSchema) -> DynamicObjectSchema {
        var result = shape
        for entry in other.shape {
            if let index = result.firstIndex(where: { $0.name == entry.name }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return DynamicObjectSchema(result)
    }

    /// Keeps only `names` that are in the shape.
    public func pick(_ names: String...) -> DynamicObjectSchema {
        DynamicObjectSchema(shape.filter { names.contains($0.name) })
    }

    /// Removes `names`.
    public func omit(_ names: String...) -> DynamicObjectSchema {
        DynamicObjectSchema(shape.filter { !names.contains($0.name) })
    }

    public var schema: Schema<JSONObject> {
        let shape = self.shape
        let lookup = FieldLookup(shape.map(\.name))
        let properties = shape.map {
            SchemaDescription.Property(name: $0.name, schema: $0.schema.description, isRequired: !$0.schema.description.isOptional)
        }
        return Schema<JSONObject>(
            description: SchemaDescription(.object(properties: properties)),
            parse: { value, context in
                guard let value = requirePresent(value, &context) else { return nil }
                guard case .object(let object) = value else {
                    context.report(.objectType, value: value)
                    return nil
                }
                var slots = [JSONValue?](repeating: nil, count: shape.count)
                for member in object.members {
                    if let index = lookup.index(of: member.key) { slots[index] = member.value }
                }
                var result = JSONObject(minimumCapacity: shape.count)
                var failed = false
                for (index, entry) in shape.enumerated() {
                    context.push(key: entry.name)
                    if let parsed = entry.schema.parseFunction(slots[index], &context) {
                        if !entry.schema.isAbsent(parsed) && !(slots[index] == nil && parsed == .null && entry.schema.description.isOptional) {
                            result.append(entry.name, parsed)
                        }
                    } else {
                        failed = true
                    }
                    context.pop()
                    if failed && !context.recordsIssues { return nil }
                }
                return failed ? nil : result
            },
            write: { object, writer, context in
                writer.writeRaw(UInt8(ascii: "{"))
                var first = true
                for entry in shape {
                    let value = object[entry.name]
                    if value == nil && entry.schema.description.isOptional { continue }
                    if !first { writer.writeRaw(UInt8(ascii: ",")) }
                    first = false
                    writer.writeKey(entry.name)
                    context.push(key: entry.name)
                    if let value {
                        entry.schema.writeFunction(value, &writer, &context)
                    } else {
                        context.report(.required)
                        writer.writeNull()
                    }
                    context.pop()
                }
                writer.writeRaw(UInt8(ascii: "}"))
            },
            encode: { object in
                var result = JSONObject(minimumCapacity: shape.count)
                for entry in shape {
                    if let value = object[entry.name] { result.append(entry.name, value) }
                }
                return .object(result)
            }
        )
    }
}

/// Erases a schema to its dynamic JSON form; optional schemas stay optional.
func erase<S: SchemaConvertible>(_ schema: S) -> Schema<JSONValue> {
    let base = schema.schema
    let dynamic = base.json
    guard base.absentCheck != nil else { return dynamic }
    return Schema<JSONValue>(
        description: base.description,
        parse: { value, context in
            guard let value else { return .null }
            return dynamic.parseFunction(value, &context)
        },
        write: dynamic.writeFunction,
        encode: dynamic.encodeFunction
    )
}

func eraseExistential(_ schema: any SchemaConvertible) -> Schema<JSONValue> {
    erase(schema)
}

/// A dynamic object from a shape: `IsObject(["id": IsString, "tags": IsArray(IsString).orUndefined])`.
public func IsObject(_ shape: KeyValuePairs<String, any SchemaConvertible>) -> DynamicObjectSchema {
    DynamicObjectSchema(shape.map { (name: $0.key, schema: eraseExistential($0.value)) })
}
