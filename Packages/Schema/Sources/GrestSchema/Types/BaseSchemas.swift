/// Reports `required` for an absent or `null` value and returns `nil`; otherwise returns the value.
@inlinable @inline(__always)
func requirePresent(_ value: JSONValue?, _ context: inout ParseContext) -> JSONValue? {
    guard let value, !value.isNull else {
        context.report(.required, value: value)
        return nil
    }
    return value
}

/// Booleans; coercion accepts `"true"`, `"1"`, `1` and `"false"`, `"0"`, `0` (case-sensitive).
public let IsBoolean = Schema<Bool>(
    description: SchemaDescription(.boolean),
    parse: { value, context in
        guard let value = requirePresent(value, &context) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string("true") where context.coerce, .string("1") where context.coerce, .number(1) where context.coerce: return true
        case .string("false") where context.coerce, .string("0") where context.coerce, .number(0) where context.coerce: return false
        default:
            context.report(.booleanType, value: value)
            return nil
        }
    },
    write: { value, writer, _ in writer.writeBool(value) },
    encode: { .bool($0) }
)

/// A bit: the number 0 or 1, coerced from the same forms as ``IsBoolean``.
public let IsBit = Schema<Int>(
    description: SchemaDescription(.bit),
    parse: { value, context in
        guard let value = requirePresent(value, &context) else { return nil }
        switch value {
        case .number(0): return 0
        case .number(1): return 1
        case .bool(true) where context.coerce, .string("true") where context.coerce, .string("1") where context.coerce: return 1
        case .bool(false) where context.coerce, .string("false") where context.coerce, .string("0") where context.coerce: return 0
        default:
            context.report(.bitType, value: value)
            return nil
        }
    },
    write: { value, writer, context in
        if value != 0 && value != 1 { context.report(.bitType, value: .number(Double(value))) }
        writer.writeInt(value)
    },
    encode: { .number(Double($0)) }
)

/// Any JSON value except `null` and absent (those give `required`, as in grest-ts).
public let IsAny = Schema<JSONValue>(
    description: SchemaDescription(.any),
    parse: { value, context in requirePresent(value, &context) },
    write: { value, writer, _ in writer.write(value) },
    encode: { $0 }
)

/// Same as ``IsAny``; described as `unknown`.
public let IsUnknown = Schema<JSONValue>(
    description: SchemaDescription(.unknown),
    parse: { value, context in requirePresent(value, &context) },
    write: { value, writer, _ in writer.write(value) },
    encode: { $0 }
)
