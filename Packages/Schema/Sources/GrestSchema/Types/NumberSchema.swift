/// Numeric constraints shared by ``NumberSchema`` and ``IntegerSchema`` (grest-ts `IsNumber` rules).
@usableFromInline
struct NumberRules: Sendable, Hashable {
    var min: Double?
    var max: Double?
    var multipleOf: Double?
    var isInteger = false

    func tightened(min newMin: Double) -> NumberRules {
        if let min, newMin < min {
            preconditionFailure("Cannot lower min from \(JavaScriptNumber.format(min)) to \(JavaScriptNumber.format(newMin))")
        }
        if let max, newMin > max {
            preconditionFailure("Invalid range: min \(JavaScriptNumber.format(newMin)) > max \(JavaScriptNumber.format(max))")
        }
        var copy = self
        copy.min = newMin
        return copy
    }

    func tightened(max newMax: Double) -> NumberRules {
        if let max, newMax > max {
            preconditionFailure("Cannot raise max from \(JavaScriptNumber.format(max)) to \(JavaScriptNumber.format(newMax))")
        }
        if let min, min > newMax {
            preconditionFailure("Invalid range: min \(JavaScriptNumber.format(min)) > max \(JavaScriptNumber.format(newMax))")
        }
        var copy = self
        copy.max = newMax
        return copy
    }

    func tightened(multipleOf step: Double) -> NumberRules {
        if !(step > 0) || !step.isFinite { preconditionFailure("multipleOf must be positive, got \(JavaScriptNumber.format(step))") }
        var copy = self
        copy.multipleOf = step
        return copy
    }

    @usableFromInline
    var description: SchemaDescription {
        SchemaDescription(.number(integer: isInteger, min: min, max: max, multipleOf: multipleOf))
    }

    /// Reads a finite number, coercing strings with JavaScript `Number()` and rounding to `multipleOf`.
    @usableFromInline
    func read(_ value: JSONValue?, _ context: inout ParseContext) -> Double? {
        guard let value = requirePresent(value, &context) else { return nil }
        var number: Double
        switch value {
        case .number(let raw): number = raw
        case .string(let text) where context.coerce:
            guard let parsed = JavaScriptNumber.parse(text), parsed.isFinite else {
                context.report(.numberType, value: value)
                return nil
            }
            number = parsed
        default:
            context.report(.numberType, value: value)
            return nil
        }
        guard number.isFinite else {
            context.report(.numberType, value: value)
            return nil
        }
        if context.coerce, let multipleOf { number = NumberRules.round(number, toMultipleOf: multipleOf) }
        return check(number, &context, value) ? number : nil
    }

    /// grest-ts order, accumulating: integer, then range (both bounds) or min/max, then multipleOf.
    @usableFromInline
    func check(_ number: Double, _ context: inout ParseContext, _ value: JSONValue?) -> Bool {
        let before = context.issueCount
        if isInteger && number.rounded(.towardZero) != number { context.report(.numberInteger, value: value) }
        if let min, let max {
            if number < min || number > max { context.report(.numberRange, params: ["min": .number(min), "max": .number(max)], value: value) }
        } else if let min, number < min {
            context.report(.numberMin, params: ["min": .number(min)], value: value)
        } else if let max, number > max {
            context.report(.numberMax, params: ["max": .number(max)], value: value)
        }
        if let multipleOf, !NumberRules.isMultiple(number, of: multipleOf) {
            context.report(.numberMultipleOf, params: ["multipleOf": .number(multipleOf)], value: value)
        }
        return context.issueCount == before
    }

    /// grest-ts `isMultipleOf`: tolerates 1e-10 of floating error, so 0.3 is a multiple of 0.1.
    static func isMultiple(_ value: Double, of step: Double) -> Bool {
        let quotient = value / step
        return abs(javaScriptRound(quotient) - quotient) < 1e-10
    }

    /// grest-ts `roundToMultipleOf`: nearest multiple, cleaned to 15 significant digits.
    static func round(_ value: Double, toMultipleOf step: Double) -> Double {
        let quotient = value / step
        let sign: Double = quotient > 0 ? 1 : (quotient < 0 ? -1 : 0)
        let rounded = javaScriptRound(quotient + 1e-14 * sign)
        return toPrecision15(rounded * step)
    }

    /// `Math.round`: halves round toward +∞. Computed from the floor, because `value + 0.5` itself rounds
    /// (0.49999999999999994 + 0.5 == 1, and 2^52 + 1 + 0.5 == 2^52 + 2).
    static func javaScriptRound(_ value: Double) -> Double {
        let floor = value.rounded(.down)
        return value - floor >= 0.5 ? floor + 1 : floor
    }

    /// `parseFloat(x.toPrecision(15))`: the 15 significant digits as an integer `digits` (value × 10^scale,
    /// rounded), then `digits × 10^-scale` correctly rounded: one exact division while 10^scale is exact in
    /// binary64, the decimal text parser beyond that.
    static func toPrecision15(_ value: Double) -> Double {
        guard value != 0, value.isFinite else { return value }
        let scale = 14 - Int(abs(value).exponentBase10)
        if scale >= 0 && scale <= 22 {
            let factor = pow10(scale)
            return (value * factor).rounded(.toNearestOrAwayFromZero) / factor
        }
        if scale < 0 && scale >= -22 {
            let factor = pow10(-scale)
            return (value / factor).rounded(.toNearestOrAwayFromZero) * factor
        }
        // 10^|scale| is not exact: scale in two steps (at most a few ulps off, far from the integer rounding).
        guard abs(scale) - 22 <= 308 else { return value }  // subnormals: fewer than 15 digits anyway
        let step = pow10(22)
        let rest = pow10(abs(scale) - 22)
        let digits = (scale > 0 ? value * step * rest : value / step / rest).rounded(.toNearestOrAwayFromZero)
        guard digits.isFinite, abs(digits) < 1e16, let result = Double("\(Int64(digits))e\(-scale)") else { return value }
        return result
    }

    /// 10^exponent for 0...22, exact in binary64.
    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

extension Double {
    fileprivate var exponentBase10: Double {
        var exponent = 0.0
        var value = self
        while value >= 10 { value /= 10; exponent += 1 }
        while value < 1 { value *= 10; exponent -= 1 }
        return exponent
    }
}

/// Finite JSON numbers as `Double`: `IsNumber.min(0).multipleOf(0.01)`.
public struct NumberSchema: SchemaConvertible {
    var rules = NumberRules()

    public init() {}

    public func min(_ value: Double) -> NumberSchema { with(rules.tightened(min: value)) }
    public func max(_ value: Double) -> NumberSchema { with(rules.tightened(max: value)) }
    public func range(_ min: Double, _ max: Double) -> NumberSchema {
        if min > max { preconditionFailure("Invalid range: min \(JavaScriptNumber.format(min)) > max \(JavaScriptNumber.format(max))") }
        return with(rules.tightened(min: min).tightened(max: max))
    }
    /// Must be a multiple of `step` (> 0); coercion rounds to the nearest multiple.
    public func multipleOf(_ step: Double) -> NumberSchema { with(rules.tightened(multipleOf: step)) }

    private func with(_ rules: NumberRules) -> NumberSchema {
        var copy = self
        copy.rules = rules
        return copy
    }

    public var schema: Schema<Double> {
        let rules = self.rules
        return Schema<Double>(
            description: rules.description,
            parse: { value, context in rules.read(value, &context) },
            write: { value, writer, context in
                if !value.isFinite { context.report(.numberType) } else { _ = rules.check(value, &context, nil) }
                writer.writeNumber(value)
            },
            encode: { .number($0) }
        )
    }
}

/// Integers of a Swift integer type, with the bounds of grest-ts's `IsInt`/`IsUint8`/… family.
///
/// Values must be representable: a JSON integer outside the type's range (for `Int`, outside JavaScript's
/// safe range ±(2^53 − 1)) reports `invalid.number.range`.
public struct IntegerSchema<Value: FixedWidthInteger & Sendable>: SchemaConvertible {
    @usableFromInline var rules: NumberRules
    @usableFromInline let representable: ClosedRange<Double>

    init(min: Double?, max: Double?) {
        rules = NumberRules(min: min, max: max, isInteger: true)
        let safe = 9_007_199_254_740_991.0
        let lower = Swift.max(Double(Value.min), -safe)
        let upper = Swift.min(Double(Value.max), safe)
        representable = lower...upper
    }

    public func min(_ value: Value) -> IntegerSchema { with(rules.tightened(min: Double(value))) }
    public func max(_ value: Value) -> IntegerSchema { with(rules.tightened(max: Double(value))) }
    public func range(_ min: Value, _ max: Value) -> IntegerSchema {
        if min > max { preconditionFailure("Invalid range: min \(min) > max \(max)") }
        return with(rules.tightened(min: Double(min)).tightened(max: Double(max)))
    }
    public func multipleOf(_ step: Value) -> IntegerSchema { with(rules.tightened(multipleOf: Double(step))) }

    private func with(_ rules: NumberRules) -> IntegerSchema {
        var copy = self
        copy.rules = rules
        return copy
    }

    @inlinable
    public var schema: Schema<Value> {
        let rules = self.rules
        let representable = self.representable
        return Schema<Value>(
            description: rules.description,
            parse: { value, context in
                guard let number = rules.read(value, &context) else { return nil }
                guard representable.contains(number) else {
                    context.report(
                        .numberRange, params: ["min": .number(representable.lowerBound), "max": .number(representable.upperBound)], value: value)
                    return nil
                }
                return Value(number)
            },
            write: { value, writer, context in
                _ = rules.check(Double(value), &context, nil)
                writer.writeInt(Int(truncatingIfNeeded: value))
            },
            encode: { .number(Double($0)) }
        )
    }
}

/// Finite numbers.
public let IsNumber = NumberSchema()
/// Integers (no bounds beyond JavaScript's safe integer range).
public let IsInt = IntegerSchema<Int>(min: nil, max: nil)
/// Integers ≥ 0.
public let IsUint = IntegerSchema<Int>(min: 0, max: nil)
/// Integers ≥ 1.
public let IsPosInt = IntegerSchema<Int>(min: 1, max: nil)
public let IsInt8 = IntegerSchema<Int8>(min: -128, max: 127)
public let IsInt16 = IntegerSchema<Int16>(min: -32768, max: 32767)
public let IsInt32 = IntegerSchema<Int32>(min: -2_147_483_648, max: 2_147_483_647)
public let IsUint8 = IntegerSchema<UInt8>(min: 0, max: 255)
public let IsUint16 = IntegerSchema<UInt16>(min: 0, max: 65535)
public let IsUint32 = IntegerSchema<UInt32>(min: 0, max: 4_294_967_295)
