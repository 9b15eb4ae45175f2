/// An object used as a map: every key is checked by `key`, every value by `value`.
///
/// Key issues are reported at `path.key[key]`, value issues at `path.key` (grest-ts `IsRecord`).
public func IsRecord<Key: Hashable & Sendable, Value: Sendable>(
    _ key: some SchemaConvertible<Key>, _ value: some SchemaConvertible<Value>
) -> Schema<[Key: Value]> {
    let keySchema = key.schema
    let valueSchema = value.schema
    return Schema<[Key: Value]>(
        description: SchemaDescription(.record(value: valueSchema.description)),
        parse: { input, context in
            guard let input = requirePresent(input, &context) else { return nil }
            guard case .object(let object) = input else {
                context.report(.recordType, value: input)
                return nil
            }
            var result: [Key: Value] = [:]
            result.reserveCapacity(object.count)
            var failed = false
            for member in object {
                context.push(recordKey: member.key)
                let parsedKey = keySchema.parseFunction(.string(member.key), &context)
                context.pop()
                context.push(key: member.key)
                let parsedValue = valueSchema.parseFunction(member.value, &context)
                context.pop()
                if let parsedKey, let parsedValue { result[parsedKey] = parsedValue } else { failed = true }
                if failed && !context.recordsIssues { return nil }
            }
            return failed ? nil : result
        },
        write: { input, writer, context in
            writer.writeRaw(UInt8(ascii: "{"))
            var first = true
            for (key, item) in input {
                guard case .string(let name) = keySchema.encodeFunction(key) else {
                    context.report(.recordType)
                    continue
                }
                context.push(recordKey: name)
                var keyWriter = JSONWriter(reservingCapacity: 0)
                keySchema.writeFunction(key, &keyWriter, &context)
                context.pop()
                if !first { writer.writeRaw(UInt8(ascii: ",")) }
                first = false
                writer.writeKey(name)
                context.push(key: name)
                valueSchema.writeFunction(item, &writer, &context)
                context.pop()
            }
            writer.writeRaw(UInt8(ascii: "}"))
        },
        encode: { input in
            var object = JSONObject(minimumCapacity: input.count)
            for (key, item) in input {
                if case .string(let name) = keySchema.encodeFunction(key) { object.append(name, valueSchema.encodeFunction(item)) }
            }
            return .object(object)
        }
    )
}
