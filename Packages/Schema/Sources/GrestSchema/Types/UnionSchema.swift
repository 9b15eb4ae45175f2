/// The first variant that accepts the value (grest-ts `IsUnion`).
///
/// A variant that matches as is wins; otherwise the first variant that matches after cleaning (coercion when
/// coercing, trimming for `trim` strings) wins, so `IsUnion(IsString.json, IsNumber.json)` keeps `"42"` a
/// string. On failure one `invalid.union.invalid` is reported at the union's path (`required` when the value is
/// absent or `null`). Variants share one output type: map each into an enum case with
/// ``SchemaConvertible/map(_:_:)``, or use ``SchemaConvertible/json`` for dynamic values.
public func IsUnion<Output>(_ variants: Schema<Output>...) -> Schema<Output> {
    precondition(variants.count >= 2, "IsUnion requires at least two variants")
    return Schema<Output>(
        description: SchemaDescription(.union(variants.map(\.description))),
        parse: { value, context in
            // 1. A variant that accepts the value exactly as it is (grest-ts `variant.is(v)`).
            for variant in variants {
                var trial = context.trial(coerce: false, rejectsUntrimmed: true)
                if let output = variant.parseFunction(value, &trial), !trial.hasIssues { return output }
            }
            // 2. The first variant that accepts it once cleaned: coerced when coercing, trimmed by `trim` variants.
            if context.coerce || !context.rejectsUntrimmed {
                for variant in variants {
                    var trial = context.trial(coerce: context.coerce, rejectsUntrimmed: context.rejectsUntrimmed)
                    if let output = variant.parseFunction(value, &trial), !trial.hasIssues { return output }
                }
            }
            // grest-ts checks presence before the union runs: absent and null are `required`.
            if value == nil || value == .null {
                context.report(.required, value: value)
            } else {
                context.report(.unionInvalid, value: value)
            }
            return nil
        },
        write: { value, writer, context in writeFirstMatching(variants, value, &writer, &context) },
        encode: { value in encodeFirstMatching(variants, value) }
    )
}

/// Encodes `value` with the first variant whose write reports no issue (the first variant when none fits).
func encodeFirstMatching<Output>(_ variants: [Schema<Output>], _ value: Output) -> JSONValue {
    for variant in variants {
        var trial = ParseContext(recordsIssues: false)
        var scratch = JSONWriter(reservingCapacity: 0)
        variant.writeFunction(value, &scratch, &trial)
        if !trial.hasIssues { return variant.encodeFunction(value) }
    }
    return variants[0].encodeFunction(value)
}

/// Writes `value` with the first variant whose write reports no issue; otherwise reports `invalid.union.invalid`.
func writeFirstMatching<Output>(_ variants: [Schema<Output>], _ value: Output, _ writer: inout JSONWriter, _ context: inout ParseContext) {
    for variant in variants {
        var trial = context.trial()
        var scratch = JSONWriter(reservingCapacity: 64)
        variant.writeFunction(value, &scratch, &trial)
        if !trial.hasIssues {
            writer.writeRaw(scratch.bytes)
            return
        }
    }
    context.report(.unionInvalid)
    writer.writeNull()
}

/// Selects the variant by the value of `field` (grest-ts `IsDiscriminated`).
///
/// Keys that look like numbers (`"1"`) select numeric discriminators; other keys select strings. A missing
/// or `null` discriminator reports `invalid.dunion.missingDiscriminator`; an unknown one
/// `invalid.dunion.unknownVariant`; the chosen variant is validated at the same path.
public func IsDiscriminated<Output>(_ field: String, _ variants: KeyValuePairs<String, Schema<Output>>) -> Schema<Output> {
    precondition(variants.count >= 2, "IsDiscriminated requires at least two variants")
    var byString: [String: Schema<Output>] = [:]
    var byNumber: [Double: Schema<Output>] = [:]
    for (key, schema) in variants {
        if let number = JavaScriptNumber.parse(key), !key.isEmpty, JavaScriptNumber.format(number) == key {
            byNumber[number] = schema
        } else {
            byString[key] = schema
        }
    }
    let ordered = variants.map(\.value)
    let stringVariants = byString
    let numberVariants = byNumber
    return Schema<Output>(
        description: SchemaDescription(.discriminated(field: field, variants: ordered.map(\.description))),
        parse: { value, context in
            guard let value = requirePresent(value, &context) else { return nil }
            guard case .object(let object) = value else {
                context.report(.discriminatedNotObject, value: value)
                return nil
            }
            guard let tag = object[field], !tag.isNull else {
                context.report(.discriminatedMissing, params: ["field": .string(field)], value: value)
                return nil
            }
            let variant: Schema<Output>?
            switch tag {
            case .string(let key): variant = stringVariants[key]
            case .number(let number): variant = numberVariants[number]
            default: variant = nil
            }
            guard let variant else {
                let shown: String = if case .string(let key) = tag { key } else { IssueKey.display(tag) }
                context.report(.discriminatedUnknown, params: ["field": .string(field), "value": .string(shown)], value: value)
                return nil
            }
            return variant.parseFunction(value, &context)
        },
        write: { value, writer, context in writeFirstMatching(ordered, value, &writer, &context) },
        encode: { value in encodeFirstMatching(ordered, value) }
    )
}

extension SchemaConvertible {
    /// This schema with a dynamic output: the cleaned JSON value (coerced, unknown keys stripped).
    public var json: Schema<JSONValue> {
        let base = schema
        return Schema<JSONValue>(
            description: base.description,
            parse: { value, context in base.parseFunction(value, &context).map(base.encodeFunction) },
            write: { value, writer, context in
                var trial = context.trial()
                guard let typed = base.parseFunction(value, &trial), !trial.hasIssues else {
                    _ = base.parseFunction(value, &context)
                    writer.writeNull()
                    return
                }
                base.writeFunction(typed, &writer, &context)
            },
            encode: { $0 }
        )
    }
}
