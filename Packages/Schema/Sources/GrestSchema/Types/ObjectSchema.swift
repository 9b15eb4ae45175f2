/// One property of a typed object schema: its JSON name, where the value lives in the Swift type, and its schema.
public struct Field<Root, Value: Sendable>: Sendable {
    public let name: String
    @usableFromInline let keyPath: any KeyPath<Root, Value> & Sendable
    /// Where the value lives inside a `Root` value when the key path names a stored property of a struct (or a chain
    /// of them): `MemoryLayout<Root>.offset(of:)`. Reading at an offset is a load; applying a key path at run time
    /// (`swift_getAtKeyPath`) looks up generic metadata on every read, about 130 ns a field.
    @usableFromInline let storedOffset: Int?
    @usableFromInline let schema: Schema<Value>
    /// `"name":` pre-encoded, so writing a key is one copy.
    @usableFromInline let keyBytes: [UInt8]

    @usableFromInline
    init(name: String, keyPath: any KeyPath<Root, Value> & Sendable, schema: Schema<Value>) {
        self.name = name
        self.keyPath = keyPath
        self.storedOffset = MemoryLayout<Root>.offset(of: keyPath as PartialKeyPath<Root>)
        self.schema = schema
        var writer = JSONWriter(reservingCapacity: name.utf8.count + 3)
        writer.writeKey(name)
        self.keyBytes = writer.bytes
    }

    /// The field's value in `root`.
    @inlinable @inline(__always)
    func value(in root: Root) -> Value {
        guard let storedOffset else { return root[keyPath: keyPath] }
        // `offset(of:)` gave an offset only for inline storage of a `Value` in `Root`, so the bytes there are an
        // initialised, aligned `Value`; `load` copies it (retaining what it references).
        return withUnsafePointer(to: root) { UnsafeRawPointer($0).load(fromByteOffset: storedOffset, as: Value.self) }
    }
}

/// A property of a typed object: `field("text", \.text, IsString.nonEmpty)`.
@inlinable
public func field<Root, Value>(_ name: String, _ keyPath: any KeyPath<Root, Value> & Sendable, _ schema: some SchemaConvertible<Value>) -> Field<Root, Value> {
    Field(name: name, keyPath: keyPath, schema: schema.schema)
}

/// A JSON object read into a Swift type through its initializer.
///
/// ```swift
/// struct Message: Sendable { var id: String; var text: String }
/// let IsMessage = IsObject(Message.init, field("id", \.id, IsString), field("text", \.text, IsString.nonEmpty))
/// ```
///
/// Unknown keys are ignored when reading and never written; an absent `orUndefined` field is left out.
/// Every field is checked, so ten bad fields give ten issues with their paths.
public struct ObjectSchema<Root: Sendable>: SchemaConvertible {
    public let schema: Schema<Root>
    /// The property names, in declaration order.
    public let fieldNames: [String]

    @usableFromInline
    init(schema: Schema<Root>, fieldNames: [String]) {
        self.schema = schema
        self.fieldNames = fieldNames
    }
}

/// Builds a typed object schema from an initializer and one field per initializer parameter, in order.
///
/// Objects with up to 24 fields use fixed-arity overloads (generated in `ObjectSchema+Arities.swift`) that
/// specialise completely; this parameter-pack form serves larger objects.
@inlinable
public func IsObject<Root: Sendable, each Value: Sendable>(
    _ initializer: @escaping @Sendable (repeat each Value) -> Root,
    _ fields: repeat Field<Root, each Value>
) -> ObjectSchema<Root> {
    var properties: [SchemaDescription.Property] = []
    for field in repeat each fields { properties.append(field.property) }
    let plan = ObjectPlan(properties)
    let count = properties.count
    let schema = Schema<Root>(
        description: plan.description,
        parse: { value, context in
            guard let object = plan.members(of: value, &context) else { return nil }
            return withUnsafeTemporaryAllocation(of: JSONValue?.self, capacity: count) { slots -> Root? in
                slots.initialize(repeating: nil)
                defer { slots.deinitialize() }
                for member in object.members {
                    if let index = plan.lookup.index(of: member.key) { slots[index] = member.value }
                }
                var index = 0
                var failed = false
                @inline(__always)
                func read<V>(_ field: borrowing Field<Root, V>, _ context: inout ParseContext) -> V? {
                    defer { index += 1 }
                    if failed && !context.recordsIssues { return nil }
                    let parsed = readField(field, slots[index], &context)
                    if parsed == nil { failed = true }
                    return parsed
                }
                let parsed = (repeat read(each fields, &context))
                if failed { return nil }
                return initializer(repeat (each parsed)!)
            }
        },
        write: { root, writer, context in
            writer.writeRaw(UInt8(ascii: "{"))
            var first = true
            repeat writeField(each fields, of: root, first: &first, &writer, &context)
            writer.writeRaw(UInt8(ascii: "}"))
        },
        encode: { root in
            var object = JSONObject(minimumCapacity: count)
            repeat encodeField(each fields, of: root, into: &object)
            return .object(object)
        }
    )
    return ObjectSchema(schema: schema, fieldNames: plan.names)
}

extension Field {
    /// This field in the object's self-description.
    @inlinable
    public var property: SchemaDescription.Property {
        SchemaDescription.Property(name: name, schema: schema.description, isRequired: !schema.description.isOptional)
    }
}

/// What every typed object schema shares: names, key lookup, description and the object check.
@usableFromInline
struct ObjectPlan: Sendable {
    @usableFromInline let names: [String]
    @usableFromInline let lookup: FieldLookup
    @usableFromInline let description: SchemaDescription

    @usableFromInline
    init(_ properties: [SchemaDescription.Property]) {
        names = properties.map(\.name)
        lookup = FieldLookup(names)
        description = SchemaDescription(.object(properties: properties))
    }

    /// The members of an object value; reports `required` or `invalid.object.type` otherwise.
    @inlinable
    func members(of value: JSONValue?, _ context: inout ParseContext) -> JSONObject? {
        guard let value = requirePresent(value, &context) else { return nil }
        guard case .object(let object) = value else {
            context.report(.objectType, value: value)
            return nil
        }
        return object
    }
}

/// Reads one field's value at its path.
@inlinable @inline(__always)
func readField<Root, V>(_ field: borrowing Field<Root, V>, _ value: JSONValue?, _ context: inout ParseContext) -> V? {
    context.push(key: field.name)
    defer { context.pop() }
    return field.schema.parseFunction(value, &context)
}

/// Writes `"name":value` unless the value is an absent `orUndefined` one.
@inlinable @inline(__always)
func writeField<Root, V>(
    _ field: borrowing Field<Root, V>, of root: Root, first: inout Bool, _ writer: inout JSONWriter, _ context: inout ParseContext
) {
    let value = field.value(in: root)
    if let absent = field.schema.absentCheck, absent(value) { return }
    if !first { writer.writeRaw(UInt8(ascii: ",")) }
    first = false
    writer.writeRaw(field.keyBytes)
    context.push(key: field.name)
    field.schema.writeFunction(value, &writer, &context)
    context.pop()
}

/// Adds the field's JSON value unless it is absent.
@inlinable @inline(__always)
func encodeField<Root, V>(_ field: borrowing Field<Root, V>, of root: Root, into object: inout JSONObject) {
    let value = field.value(in: root)
    if let absent = field.schema.absentCheck, absent(value) { return }
    object.append(field.name, field.schema.encodeFunction(value))
}

/// Maps a key to its field index: a linear scan for small objects (short keys compare in a word or two),
/// a hash table for large ones.
@usableFromInline
struct FieldLookup: Sendable {
    @usableFromInline let names: [String]
    @usableFromInline let table: [String: Int]?

    @usableFromInline
    init(_ names: [String]) {
        self.names = names
        var table: [String: Int] = [:]
        for (index, name) in names.enumerated() where table[name] == nil { table[name] = index }
        self.table = names.count > 8 ? table : nil
    }

    @inlinable @inline(__always)
    func index(of key: String) -> Int? {
        if let table { return table[key] }
        for index in names.indices where names[index] == key { return index }
        return nil
    }
}
