/// A validator, coercer and serialiser for one Swift type: the compiled form of a schema definition.
///
/// Build schemas with the DSL (`IsString.nonEmpty`, `IsObject(Message.init, field("id", \.id, IsString))`);
/// then `parse` JSON into `Output`, check JSON with `is`, and `stringify` values back to JSON that holds the
/// schema's keys only.
///
/// ```swift
/// let message = try IsMessage.parse(json: #"{"id":"1","text":"hi","senderId":"u1","timestamp":5}"#)
/// let bytes = try IsMessage.jsonBytes(message)
/// ```
public struct Schema<Output: Sendable>: Sendable {
    /// Reads a JSON value (`nil` = absent, JavaScript `undefined`); returns `nil` after reporting issues.
    public typealias ParseFunction = @Sendable (_ value: JSONValue?, _ context: inout ParseContext) -> Output?
    /// Writes a value as JSON, reporting constraint violations (e.g. an empty string for `nonEmpty`).
    public typealias WriteFunction = @Sendable (_ value: Output, _ writer: inout JSONWriter, _ context: inout ParseContext) -> Void
    /// Turns a value into its JSON tree.
    public typealias EncodeFunction = @Sendable (_ value: Output) -> JSONValue

    @usableFromInline let parseFunction: ParseFunction
    @usableFromInline let writeFunction: WriteFunction
    @usableFromInline let encodeFunction: EncodeFunction
    /// Set for `orUndefined` schemas: true when the value is absent, so objects leave the key out.
    @usableFromInline let absentCheck: (@Sendable (Output) -> Bool)?
    /// The self-description of this schema (a JSON-Schema-like tree with grest-ts's `kind`).
    public let description: SchemaDescription

    /// Creates a schema from its three operations; the building block for custom schemas.
    public init(
        description: SchemaDescription,
        parse: @escaping ParseFunction,
        write: @escaping WriteFunction,
        encode: @escaping EncodeFunction,
        isAbsent: (@Sendable (Output) -> Bool)? = nil
    ) {
        self.description = description
        self.parseFunction = parse
        self.writeFunction = write
        self.encodeFunction = encode
        self.absentCheck = isAbsent
    }

    // MARK: Reading

    /// Parses `value` (coercing query-string style when `coerce` is true); throws every issue found.
    @inlinable
    public func parse(_ value: JSONValue?, coerce: Bool = false) throws(IssueList) -> Output {
        var context = ParseContext(coerce: coerce)
        if let output = parseFunction(value, &context), !context.hasIssues { return output }
        throw IssueList(context.issues)
    }

    /// Parses JSON bytes; a document that is not JSON gives one `invalid.json` issue at the root.
    public func parse(json bytes: some Sequence<UInt8>, coerce: Bool = false, maxDepth: Int = 512) throws(IssueList) -> Output {
        let value: JSONValue
        do {
            value = try JSONParser(maxDepth: maxDepth).parse(bytes)
        } catch {
            throw IssueList([Issue(path: "", code: IssueKey.json.code, message: IssueKey.json.message(["reason": .string(error.description)]))])
        }
        return try parse(value, coerce: coerce)
    }

    /// Parses a JSON string.
    public func parse(json string: String, coerce: Bool = false) throws(IssueList) -> Output {
        try parse(json: Array(string.utf8), coerce: coerce)
    }

    /// The non-throwing form of ``parse(_:coerce:)`` (grest-ts `safeParse`).
    public func safeParse(_ value: JSONValue?, coerce: Bool = false) -> Result<Output, IssueList> {
        Result { () throws(IssueList) -> Output in try parse(value, coerce: coerce) }
    }

    /// Whether `value` is valid as it is (no coercion; extra object keys are allowed).
    public func `is`(_ value: JSONValue?) -> Bool {
        var context = ParseContext(coerce: false, recordsIssues: false)
        context.rejectsUntrimmed = true
        return parseFunction(value, &context) != nil && !context.hasIssues
    }

    /// Reads `value` inside another schema's parse, at the context's current path.
    @inlinable
    public func parse(_ value: JSONValue?, in context: inout ParseContext) -> Output? {
        parseFunction(value, &context)
    }

    // MARK: Writing

    /// JSON bytes of `value` holding the schema's keys only; throws when the value breaks a constraint.
    public func jsonBytes(_ value: Output, reservingCapacity: Int = 256) throws(IssueList) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: reservingCapacity)
        var context = ParseContext()
        writeFunction(value, &writer, &context)
        if context.hasIssues { throw IssueList(context.issues) }
        return writer.bytes
    }

    /// JSON text of `value`, or `nil` when it is absent (`orUndefined`) or breaks a constraint (grest-ts `stringify`).
    public func stringify(_ value: Output) -> String? {
        if let absentCheck, absentCheck(value) { return nil }
        guard let bytes = try? jsonBytes(value) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `value` inside another schema's write.
    @inlinable
    public func write(_ value: Output, to writer: inout JSONWriter, in context: inout ParseContext) {
        writeFunction(value, &writer, &context)
    }

    /// Checks a Swift value against the schema's constraints without keeping the JSON.
    public func validate(_ value: Output) throws(IssueList) {
        _ = try jsonBytes(value)
    }

    /// The JSON tree of `value` (no validation).
    @inlinable
    public func encode(_ value: Output) -> JSONValue {
        encodeFunction(value)
    }

    /// Whether `value` is the absent marker of an `orUndefined` schema.
    @inlinable
    public func isAbsent(_ value: Output) -> Bool {
        absentCheck?(value) ?? false
    }
}

/// Anything that can produce a ``Schema``: the schema itself and the constrainable builders
/// (``StringSchema``, ``NumberSchema``, ``ObjectSchema``, …).
public protocol SchemaConvertible<Output>: Sendable {
    associatedtype Output: Sendable
    /// The compiled schema.
    var schema: Schema<Output> { get }
}

extension Schema: SchemaConvertible {
    public var schema: Schema<Output> { self }
}

extension SchemaConvertible {
    /// See ``Schema/parse(_:coerce:)``.
    public func parse(_ value: JSONValue?, coerce: Bool = false) throws(IssueList) -> Output {
        try schema.parse(value, coerce: coerce)
    }

    /// See ``Schema/parse(json:coerce:maxDepth:)``.
    public func parse(json bytes: some Sequence<UInt8>, coerce: Bool = false) throws(IssueList) -> Output {
        try schema.parse(json: bytes, coerce: coerce)
    }

    /// See ``Schema/parse(json:coerce:)``.
    public func parse(json string: String, coerce: Bool = false) throws(IssueList) -> Output {
        try schema.parse(json: string, coerce: coerce)
    }

    /// See ``Schema/safeParse(_:coerce:)``.
    public func safeParse(_ value: JSONValue?, coerce: Bool = false) -> Result<Output, IssueList> {
        schema.safeParse(value, coerce: coerce)
    }

    /// See ``Schema/is(_:)``.
    public func `is`(_ value: JSONValue?) -> Bool { schema.is(value) }

    /// See ``Schema/stringify(_:)``.
    public func stringify(_ value: Output) -> String? { schema.stringify(value) }

    /// See ``Schema/jsonBytes(_:reservingCapacity:)``.
    public func jsonBytes(_ value: Output) throws(IssueList) -> [UInt8] { try schema.jsonBytes(value) }

    /// See ``Schema/encode(_:)``.
    public func encode(_ value: Output) -> JSONValue { schema.encode(value) }

    /// The self-description tree.
    public var schemaDescription: SchemaDescription { schema.description }
}
