import GrestSchema
import Testing

/// Helpers shared by the schema-core conformance suites (String/Number/Coercion/Object/Collection/Modifier/
/// Issue/Description/BadInput). Namespaced so they cannot clash with helpers of other suites in this target.
enum SchemaProbe {
    /// The issues of parsing `value`; `[]` when it parses.
    static func issues<S: SchemaConvertible>(_ schema: S, _ value: JSONValue?, coerce: Bool = false) -> [GrestSchema.Issue] {
        switch schema.safeParse(value, coerce: coerce) {
        case .success:
            return []
        case .failure(let list):
            // A failed parse that reports nothing is a library bug; make it visible in the comparison.
            return list.issues.isEmpty ? [GrestSchema.Issue(path: "", code: "<failure without issues>", message: "")] : list.issues
        }
    }

    /// The issue codes of parsing `value`; `[]` when it parses.
    static func codes<S: SchemaConvertible>(_ schema: S, _ value: JSONValue?, coerce: Bool = false) -> [String] {
        issues(schema, value, coerce: coerce).map(\.code)
    }

    /// The issue paths of parsing `value`; `[]` when it parses.
    static func paths<S: SchemaConvertible>(_ schema: S, _ value: JSONValue?, coerce: Bool = false) -> [String] {
        issues(schema, value, coerce: coerce).map(\.path)
    }

    /// `"path|code"` pairs, handy for comparing order and location at once.
    static func located<S: SchemaConvertible>(_ schema: S, _ value: JSONValue?, coerce: Bool = false) -> [String] {
        issues(schema, value, coerce: coerce).map { "\($0.path)|\($0.code)" }
    }

    /// The parsed output, or `nil` when parsing fails.
    static func output<S: SchemaConvertible>(_ schema: S, _ value: JSONValue?, coerce: Bool = false) -> S.Output? {
        try? schema.parse(value, coerce: coerce)
    }
}
