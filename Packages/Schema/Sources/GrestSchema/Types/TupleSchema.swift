/// A fixed-length array with one schema per position: `IsTuple(IsString, IsNumber)` → `(String, Double)`.
///
/// A wrong length reports only `invalid.tuple.length {expected, actual}`.
public func IsTuple<each Element: Sendable>(_ elements: repeat Schema<each Element>) -> Schema<(repeat each Element)> {
    var descriptions: [SchemaDescription] = []
    for element in repeat each elements { descriptions.append(element.description) }
    let count = descriptions.count
    precondition(count > 0, "IsTuple requires at least one element schema")
    return Schema<(repeat each Element)>(
        description: SchemaDescription(.tuple(descriptions)),
        parse: { value, context in
            guard let value = requirePresent(value, &context) else { return nil }
            guard case .array(let items) = value else {
                context.report(.tupleType, value: value)
                return nil
            }
            guard items.count == count else {
                context.report(.tupleLength, params: ["expected": .number(Double(count)), "actual": .number(Double(items.count))], value: value)
                return nil
            }
            var index = 0
            var failed = false
            func read<T>(_ schema: Schema<T>, _ context: inout ParseContext) -> T? {
                defer { index += 1 }
                context.push(index: index)
                defer { context.pop() }
                let parsed = schema.parseFunction(items[index], &context)
                if parsed == nil { failed = true }
                return parsed
            }
            let parsed = (repeat read(each elements, &context))
            if failed { return nil }
            return (repeat (each parsed)!)
        },
        write: { value, writer, context in
            writer.writeRaw(UInt8(ascii: "["))
            var index = 0
            func write<T>(_ schema: Schema<T>, _ item: T, _ writer: inout JSONWriter, _ context: inout ParseContext) {
                if index > 0 { writer.writeRaw(UInt8(ascii: ",")) }
                context.push(index: index)
                schema.writeFunction(item, &writer, &context)
                context.pop()
                index += 1
            }
            repeat write(each elements, each value, &writer, &context)
            writer.writeRaw(UInt8(ascii: "]"))
        },
        encode: { value in
            var items: [JSONValue] = []
            for (schema, item) in repeat (each elements, each value) { items.append(schema.encodeFunction(item)) }
            return .array(items)
        }
    )
}
