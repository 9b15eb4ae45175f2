/// Builds a schema that accepts exactly the given JSON values (strict equality, never coerced).
func literalSchema<Value: Sendable & Equatable>(
    _ values: [Value], toJSON: @escaping @Sendable (Value) -> JSONValue, fromJSON: @escaping @Sendable (JSONValue) -> Value?
) -> Schema<Value> {
    precondition(!values.isEmpty, "LiteralSchema requires at least one value")
    let expected = JSONValue.string(values.map { IssueKey.display(toJSON($0)) }.joined(separator: ", "))
    return Schema<Value>(
        description: SchemaDescription(.literal(values.map(toJSON))),
        parse: { value, context in
            guard let value = requirePresent(value, &context) else { return nil }
            if let candidate = fromJSON(value), values.contains(candidate) { return candidate }
            context.report(.literalInvalid, params: ["expected": expected], value: value)
            return nil
        },
        write: { value, writer, context in
            if !values.contains(value) { context.report(.literalInvalid, params: ["expected": expected]) }
            writer.write(toJSON(value))
        },
        encode: toJSON
    )
}

/// One of the given strings: `IsLiteral("admin", "user")`.
public func IsLiteral(_ values: String...) -> Schema<String> {
    literalSchema(values, toJSON: { .string($0) }, fromJSON: { $0.stringValue })
}

/// One of the given integers.
public func IsLiteral(_ values: Int...) -> Schema<Int> {
    literalSchema(
        values, toJSON: { .number(Double($0)) },
        fromJSON: { value in
            guard case .number(let number) = value, let integer = Int(exactly: number) else { return nil }
            return integer
        })
}

/// One of the given finite numbers.
public func IsLiteral(_ values: Double...) -> Schema<Double> {
    for value in values where !value.isFinite {
        preconditionFailure("LiteralSchema does not accept \(value) - only finite numbers are allowed")
    }
    return literalSchema(values, toJSON: { .number($0) }, fromJSON: { $0.numberValue })
}

/// The given boolean.
public func IsLiteral(_ values: Bool...) -> Schema<Bool> {
    literalSchema(values, toJSON: { .bool($0) }, fromJSON: { $0.boolValue })
}

/// The raw values of a Swift enum with `String` raw values (grest-ts `IsEnum`), never coerced.
public func IsEnum<E: RawRepresentable & CaseIterable & Sendable & Equatable>(_ type: E.Type) -> Schema<E> where E.RawValue == String {
    precondition(!E.allCases.isEmpty, "IsEnum requires an enum with at least one value")
    return literalSchema(Array(E.allCases), toJSON: { .string($0.rawValue) }, fromJSON: { $0.stringValue.flatMap(E.init(rawValue:)) })
}

/// The raw values of a Swift enum with `Int` raw values, never coerced.
public func IsEnum<E: RawRepresentable & CaseIterable & Sendable & Equatable>(_ type: E.Type) -> Schema<E> where E.RawValue == Int {
    precondition(!E.allCases.isEmpty, "IsEnum requires an enum with at least one value")
    return literalSchema(
        Array(E.allCases), toJSON: { .number(Double($0.rawValue)) },
        fromJSON: { value in
            guard case .number(let number) = value, let raw = Int(exactly: number) else { return nil }
            return E(rawValue: raw)
        })
}
