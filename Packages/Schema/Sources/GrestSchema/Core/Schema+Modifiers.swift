public import Tagged

extension SchemaConvertible {
    /// Also accepts an absent value (JavaScript `undefined`); objects leave the key out when it is `nil`.
    /// A `null` still gives `required` (use ``orNull`` or ``orNullish`` for that).
    @inlinable
    public var orUndefined: Schema<Output?> {
        let base = schema
        // grest-ts applies a default before looking at optional/nullable: `IsInt.default(5).orUndefined` gives 5
        // when coercing an absent value.
        let hasDefault = base.description.defaultValue != nil
        var description = base.description
        description.isOptional = true
        return Schema<Output?>(
            description: description,
            parse: { value, context in
                if hasDefault, context.coerce, value == nil || value == .null { return base.parseFunction(value, &context).map { .some($0) } }
                guard let value else { return .some(nil) }
                return base.parseFunction(value, &context).map { .some($0) }
            },
            write: { value, writer, context in
                if let value { base.writeFunction(value, &writer, &context) } else { writer.writeNull() }
            },
            encode: { value in value.map(base.encodeFunction) ?? .null },
            isAbsent: { $0 == nil }
        )
    }

    /// Also accepts `null`, written back as `null`. An absent value still gives `required`.
    @inlinable
    public var orNull: Schema<Output?> {
        let base = schema
        let hasDefault = base.description.defaultValue != nil  // see `orUndefined`
        var description = base.description
        description.isNullable = true
        return Schema<Output?>(
            description: description,
            parse: { value, context in
                if hasDefault, context.coerce, value == nil || value == .null { return base.parseFunction(value, &context).map { .some($0) } }
                if case .null? = value { return .some(nil) }
                return base.parseFunction(value, &context).map { .some($0) }
            },
            write: { value, writer, context in
                if let value { base.writeFunction(value, &writer, &context) } else { writer.writeNull() }
            },
            encode: { value in value.map(base.encodeFunction) ?? .null }
        )
    }

    /// Accepts both `null` and an absent value (grest-ts `.orUndefined.orNull`); `nil` is left out of objects.
    @inlinable
    public var orNullish: Schema<Output?> {
        let base = schema
        let hasDefault = base.description.defaultValue != nil  // see `orUndefined`
        var description = base.description
        description.isNullable = true
        description.isOptional = true
        return Schema<Output?>(
            description: description,
            parse: { value, context in
                if hasDefault, context.coerce, value == nil || value == .null { return base.parseFunction(value, &context).map { .some($0) } }
                guard let value, !value.isNull else { return .some(nil) }
                return base.parseFunction(value, &context).map { .some($0) }
            },
            write: { value, writer, context in
                if let value { base.writeFunction(value, &writer, &context) } else { writer.writeNull() }
            },
            encode: { value in value.map(base.encodeFunction) ?? .null },
            isAbsent: { $0 == nil }
        )
    }

    /// Replaces a `null` or absent value with `value` — only when coercing, as in grest-ts. The default is
    /// not validated.
    @inlinable
    public func `default`(_ value: Output) -> Schema<Output> {
        let base = schema
        var description = base.description
        description.defaultValue = base.encodeFunction(value)
        return Schema(
            description: description,
            parse: { input, context in
                if context.coerce, input == nil || input == .null { return value }
                return base.parseFunction(input, &context)
            },
            write: base.writeFunction,
            encode: base.encodeFunction,
            isAbsent: base.absentCheck
        )
    }

    /// Adds a custom check that runs after the type check (and after earlier refinements passed);
    /// a failure reports `issue` without params at the schema's path.
    @inlinable
    public func refine(_ issue: IssueKey, _ check: @escaping @Sendable (Output) -> Bool) -> Schema<Output> {
        let base = schema
        return Schema(
            description: base.description,
            parse: { input, context in
                let before = context.issueCount
                guard let output = base.parseFunction(input, &context), context.issueCount == before else { return nil }
                guard check(output) else {
                    context.report(issue, value: input)
                    return nil
                }
                return output
            },
            write: { value, writer, context in
                let before = context.issueCount
                base.writeFunction(value, &writer, &context)
                if context.issueCount == before, !check(value) { context.report(issue) }
            },
            encode: base.encodeFunction,
            isAbsent: base.absentCheck
        )
    }

    /// Adds a coercion step that runs only when coercing, after the built-in one (as in grest-ts): it sees the
    /// value as built-in coercion left it (or the raw value when that did not apply), never `null` or an
    /// absent value. A transform that throws is skipped.
    public func coerce(_ transform: @escaping @Sendable (JSONValue) throws -> JSONValue) -> Schema<Output> {
        let base = schema
        return Schema(
            description: base.description,
            parse: { input, context in
                guard context.coerce, let input, !input.isNull else { return base.parseFunction(input, &context) }
                var trial = context.trial()
                let cleaned = base.parseFunction(input, &trial).map(base.encodeFunction) ?? input
                guard let coerced = try? transform(cleaned) else { return base.parseFunction(input, &context) }
                return base.parseFunction(coerced, &context)
            },
            write: base.writeFunction,
            encode: base.encodeFunction,
            isAbsent: base.absentCheck
        )
    }

    /// Tags the output with a phantom type, so a `UserId` is not interchangeable with a plain `String`.
    ///
    /// ```swift
    /// enum UserIdTag {}
    /// typealias UserId = Tagged<UserIdTag, String>
    /// let IsUserId = IsString.brand(UserIdTag.self)
    /// ```
    @inlinable
    public func brand<Tag>(_ tag: Tag.Type, name: String? = nil) -> Schema<Tagged<Tag, Output>> {
        let base = schema
        var description = base.description
        if description.docs.brand == nil { description.docs.brand = name ?? String(describing: Tag.self) }
        var isAbsent: (@Sendable (Tagged<Tag, Output>) -> Bool)?
        if let check = base.absentCheck {
            isAbsent = { (value: Tagged<Tag, Output>) -> Bool in check(value.rawValue) }
        }
        return Schema<Tagged<Tag, Output>>(
            description: description,
            parse: { (input: JSONValue?, context: inout ParseContext) -> Tagged<Tag, Output>? in
                guard let raw = base.parseFunction(input, &context) else { return nil }
                return Tagged<Tag, Output>(rawValue: raw)
            },
            write: { (value: Tagged<Tag, Output>, writer: inout JSONWriter, context: inout ParseContext) in
                base.writeFunction(value.rawValue, &writer, &context)
            },
            encode: { (value: Tagged<Tag, Output>) -> JSONValue in base.encodeFunction(value.rawValue) },
            isAbsent: isAbsent
        )
    }

    /// Attaches documentation (title, description, examples) to the self-description.
    public func docs(
        title: String? = nil, description text: String? = nil, example: JSONValue? = nil, examples: [JSONValue]? = nil,
        isDeprecated: Bool? = nil, format: String? = nil
    ) -> Schema<Output> {
        let base = schema
        var description = base.description
        if let title { description.docs.title = title }
        if let text { description.docs.description = text }
        if let example { description.docs.example = example }
        if let examples { description.docs.examples = examples }
        if let isDeprecated { description.docs.isDeprecated = isDeprecated }
        if let format { description.docs.format = format }
        return Schema(
            description: description, parse: base.parseFunction, write: base.writeFunction, encode: base.encodeFunction,
            isAbsent: base.absentCheck)
    }

    /// Maps the output to another type and back, e.g. into an enum case for ``IsUnion(_:)``.
    ///
    /// `backward` returns `nil` when a value does not belong to this schema; writing such a value reports
    /// `invalid.union.invalid`.
    @inlinable
    public func map<T: Sendable>(
        _ forward: @escaping @Sendable (Output) -> T, _ backward: @escaping @Sendable (T) -> Output?
    ) -> Schema<T> {
        let base = schema
        return Schema<T>(
            description: base.description,
            parse: { input, context in base.parseFunction(input, &context).map(forward) },
            write: { value, writer, context in
                guard let raw = backward(value) else {
                    context.report(.unionInvalid)
                    writer.writeNull()
                    return
                }
                base.writeFunction(raw, &writer, &context)
            },
            encode: { value in backward(value).map(base.encodeFunction) ?? .null }
        )
    }
}

extension Schema {
    /// A schema that refers to itself, for trees and linked structures.
    ///
    /// Values nested deeper than 512 levels (JSONParser's default limit; only reachable with values built in
    /// code) are reported as `invalid.json` when parsed or written rather than recursed into. `encode` does not
    /// check depth.
    ///
    /// ```swift
    /// let IsNode: Schema<Node> = .recursive("Node") { node in
    ///     IsObject(Node.init, field("name", \.name, IsString), field("children", \.children, IsArray(node))).schema
    /// }
    /// ```
    public static func recursive(_ name: String, _ build: (Schema<Output>) -> Schema<Output>) -> Schema<Output> {
        let box = RecursiveSchemaBox<Output>()
        // The only way to nest without bound: past `ParseContext.maxDepth` levels the value is reported as
        // `invalid.json` (as JSONParser reports over-deep text) instead of overflowing the stack.
        let tooDeep: JSONObject = ["reason": .string("Nesting deeper than \(ParseContext.maxDepth) levels")]
        let reference = Schema(
            description: SchemaDescription(.reference(name)),
            parse: { value, context in
                guard context.depth <= ParseContext.maxDepth else {
                    context.report(.json, params: tooDeep)
                    return nil
                }
                return box.schema!.parseFunction(value, &context)
            },
            write: { value, writer, context in
                guard context.depth <= ParseContext.maxDepth else {
                    context.report(.json, params: tooDeep)
                    writer.writeNull()
                    return
                }
                box.schema!.writeFunction(value, &writer, &context)
            },
            encode: { value in box.schema!.encodeFunction(value) }
        )
        let built = build(reference)
        box.schema = built
        var description = built.description
        if description.docs.title == nil { description.docs.title = name }
        return Schema(
            description: description, parse: built.parseFunction, write: built.writeFunction, encode: built.encodeFunction,
            isAbsent: built.absentCheck)
    }
}

/// Holds the finished schema for the self-reference of a recursive schema.
///
/// `@unchecked Sendable`: `schema` is written exactly once, inside `Schema.recursive`, before the box or
/// any schema capturing it is returned, so every later read (from any thread) sees the final value.
final class RecursiveSchemaBox<Output: Sendable>: @unchecked Sendable {
    var schema: Schema<Output>?
}
