/// Strings, with tighten-only constraints: `IsString.nonEmpty.maxLength(80)`.
///
/// Lengths count UTF-16 code units, as JavaScript's `length` does, so limits agree with grest-ts peers.
/// Constraints can only be tightened: lowering `minLength` or raising `maxLength` is a programming error
/// and stops the process at definition time, like an invalid regex literal.
public struct StringSchema: SchemaConvertible {
    public private(set) var minLength: Int?
    public private(set) var maxLength: Int?
    public private(set) var isNonEmpty = false
    public private(set) var trims = false
    private var patterns: [Pattern] = []

    struct Pattern: @unchecked Sendable {
        // `Regex<AnyRegexOutput>` is not `Sendable`; it is an immutable compiled program that is only read
        // (matched) after construction, which is safe from any thread.
        let regex: Regex<AnyRegexOutput>
        let source: String
        let issue: IssueKey?
    }

    public init() {}

    /// Rejects `""` (after trimming, when `trim` is on).
    public var nonEmpty: StringSchema {
        var copy = self
        copy.isNonEmpty = true
        return copy
    }

    /// Trims JavaScript whitespace when parsing; `is` rejects untrimmed input.
    public var trim: StringSchema {
        var copy = self
        copy.trims = true
        return copy
    }

    /// At least `length` UTF-16 code units.
    public func minLength(_ length: Int) -> StringSchema {
        if let minLength, length < minLength { preconditionFailure("Cannot lower minLength from \(minLength) to \(length)") }
        if let maxLength, length > maxLength { preconditionFailure("Invalid range: minLength \(length) > maxLength \(maxLength)") }
        var copy = self
        copy.minLength = length
        return copy
    }

    /// At most `length` UTF-16 code units.
    public func maxLength(_ length: Int) -> StringSchema {
        if let maxLength, length > maxLength { preconditionFailure("Cannot raise maxLength from \(maxLength) to \(length)") }
        if let minLength, minLength > length { preconditionFailure("Invalid range: minLength \(minLength) > maxLength \(length)") }
        var copy = self
        copy.maxLength = length
        return copy
    }

    /// Between `min` and `max` UTF-16 code units; violations report `invalid.string.range`.
    public func range(_ min: Int, _ max: Int) -> StringSchema {
        if min > max { preconditionFailure("Invalid range: minLength \(min) > maxLength \(max)") }
        return minLength(min).maxLength(max)
    }

    /// Must match `pattern` (a regular expression, searched anywhere unless anchored). Without `issue`,
    /// a mismatch reports `invalid.string.pattern`; with one, the pattern becomes a refinement reporting it.
    public func regex(_ pattern: String, issue: IssueKey? = nil) -> StringSchema {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            preconditionFailure("Invalid regex /\(pattern)/: \(error)")
        }
        var copy = self
        copy.patterns.append(Pattern(regex: regex, source: pattern, issue: issue))
        return copy
    }

    public var schema: Schema<String> {
        let rules = self
        var minimum = minLength
        if isNonEmpty, minimum == nil { minimum = 1 }
        return Schema<String>(
            description: SchemaDescription(.string(minLength: minimum, maxLength: maxLength, pattern: patterns.first?.source)),
            parse: { value, context in
                guard let value = requirePresent(value, &context) else { return nil }
                var string: String
                switch value {
                case .string(let text): string = text
                case .number(let number) where context.coerce && !number.isNaN: string = JavaScriptNumber.format(number)
                case .bool(let flag) where context.coerce: string = flag ? "true" : "false"
                default:
                    context.report(.stringType, value: value)
                    return nil
                }
                if rules.trims {
                    let trimmed = JavaScriptString.trim(string)
                    if context.rejectsUntrimmed && trimmed != string { context.report(.stringType); return nil }
                    string = trimmed
                }
                return rules.check(string, &context, value) ? string : nil
            },
            write: { value, writer, context in
                let string = rules.trims ? JavaScriptString.trim(value) : value
                _ = rules.check(string, &context, nil)
                writer.writeString(string)
            },
            encode: { .string(rules.trims ? JavaScriptString.trim($0) : $0) }
        )
    }

    /// grest-ts order: nonEmpty, then range or min/max (accumulating), then patterns; refinement
    /// patterns run only when everything else passed, and the first failing one stops.
    func check(_ string: String, _ context: inout ParseContext, _ value: JSONValue?) -> Bool {
        let before = context.issueCount
        if isNonEmpty || minLength != nil || maxLength != nil {
            let length = JavaScriptString.length(string)
            if isNonEmpty && length == 0 { context.report(.stringNonEmpty, value: value) }
            if let minLength, let maxLength {
                if length < minLength || length > maxLength {
                    context.report(.stringRange, params: ["min": .number(Double(minLength)), "max": .number(Double(maxLength))], value: value)
                }
            } else if let minLength, length < minLength {
                context.report(.stringMinLength, params: ["min": .number(Double(minLength))], value: value)
            } else if let maxLength, length > maxLength {
                context.report(.stringMaxLength, params: ["max": .number(Double(maxLength))], value: value)
            }
        }
        for pattern in patterns where pattern.issue == nil {
            if (try? pattern.regex.firstMatch(in: string)) == nil { context.report(.stringPattern, value: value) }
        }
        guard context.issueCount == before else { return false }
        for pattern in patterns {
            guard let issue = pattern.issue else { continue }
            if (try? pattern.regex.firstMatch(in: string)) == nil {
                context.report(issue, value: value)
                return false
            }
        }
        return true
    }
}

/// Strings. See ``StringSchema`` for the constraints.
public let IsString = StringSchema()
