/// Arrays of one element schema: `IsArray(IsMessage).maxLength(100)`.
///
/// A length violation is reported before, and instead of, element checks (as grest-ts does).
public struct ArraySchema<Element: Sendable>: SchemaConvertible {
    @usableFromInline let element: Schema<Element>
    public private(set) var minLength: Int?
    public private(set) var maxLength: Int?

    public init(_ element: some SchemaConvertible<Element>) {
        self.element = element.schema
    }

    public func minLength(_ length: Int) -> ArraySchema {
        if let minLength, length < minLength { preconditionFailure("Cannot lower minLength from \(minLength) to \(length)") }
        if let maxLength, length > maxLength { preconditionFailure("Invalid range: minLength \(length) > maxLength \(maxLength)") }
        var copy = self
        copy.minLength = length
        return copy
    }

    public func maxLength(_ length: Int) -> ArraySchema {
        if let maxLength, length > maxLength { preconditionFailure("Cannot raise maxLength from \(maxLength) to \(length)") }
        if let minLength, minLength > length { preconditionFailure("Invalid range: minLength \(minLength) > maxLength \(length)") }
        var copy = self
        copy.maxLength = length
        return copy
    }

    public func range(_ min: Int, _ max: Int) -> ArraySchema {
        if min > max { preconditionFailure("Invalid range: minLength \(min) > maxLength \(max)") }
        return minLength(min).maxLength(max)
    }

    @usableFromInline
    func checkLength(_ count: Int, _ context: inout ParseContext, _ value: JSONValue?) -> Bool {
        if let minLength, let maxLength {
            if count < minLength || count > maxLength {
                context.report(.arrayRange, params: ["min": .number(Double(minLength)), "max": .number(Double(maxLength))], value: value)
                return false
            }
        } else if let minLength, count < minLength {
            context.report(.arrayMinLength, params: ["min": .number(Double(minLength))], value: value)
            return false
        } else if let maxLength, count > maxLength {
            context.report(.arrayMaxLength, params: ["max": .number(Double(maxLength))], value: value)
            return false
        }
        return true
    }

    @inlinable
    public var schema: Schema<[Element]> {
        let rules = self
        let element = self.element
        return Schema<[Element]>(
            description: SchemaDescription(.array(element: element.description, minItems: minLength, maxItems: maxLength)),
            parse: { value, context in
                guard let value = requirePresent(value, &context) else { return nil }
                guard case .array(let items) = value else {
                    context.report(.arrayType, value: value)
                    return nil
                }
                guard rules.checkLength(items.count, &context, value) else { return nil }
                var result: [Element] = []
                result.reserveCapacity(items.count)
                var failed = false
                for index in items.indices {
                    context.push(index: index)
                    if let parsed = element.parseFunction(items[index], &context) {
                        if !failed { result.append(parsed) }
                    } else {
                        failed = true
                        if !context.recordsIssues { context.pop(); return nil }
                    }
                    context.pop()
                }
                return failed ? nil : result
            },
            write: { value, writer, context in
                _ = rules.checkLength(value.count, &context, nil)
                writer.writeRaw(UInt8(ascii: "["))
                for index in value.indices {
                    if index > 0 { writer.writeRaw(UInt8(ascii: ",")) }
                    context.push(index: index)
                    element.writeFunction(value[index], &writer, &context)
                    context.pop()
                }
                writer.writeRaw(UInt8(ascii: "]"))
            },
            encode: { value in .array(value.map(element.encodeFunction)) }
        )
    }
}

/// An array of `element`.
public func IsArray<Element>(_ element: some SchemaConvertible<Element>) -> ArraySchema<Element> {
    ArraySchema(element)
}
