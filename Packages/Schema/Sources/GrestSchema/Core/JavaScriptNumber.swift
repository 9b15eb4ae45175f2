/// JavaScript's `Number(string)` and `String(number)`, which grest-ts coercion is defined by.
enum JavaScriptNumber {
    /// `Number(text)`: trims JavaScript whitespace, `""` → 0, `0x`/`0o`/`0b` integers, decimal literals with
    /// optional sign and exponent, `Infinity`; anything else is NaN (returned as `nil`).
    static func parse(_ text: String) -> Double? {
        let trimmed = JavaScriptString.trim(text)
        if trimmed.isEmpty { return 0 }
        var utf8 = Array(trimmed.utf8)
        if utf8.count > 2, utf8[0] == UInt8(ascii: "0") {
            let radix: Int?
            switch utf8[1] | 0x20 {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = nil
            }
            if let radix {
                var value = 0.0
                for byte in utf8[2...] {
                    guard let digit = digitValue(byte), digit < radix else { return nil }
                    value = value * Double(radix) + Double(digit)
                }
                return value
            }
        }
        var index = 0
        var negative = false
        if utf8[0] == UInt8(ascii: "+") || utf8[0] == UInt8(ascii: "-") {
            negative = utf8[0] == UInt8(ascii: "-")
            index = 1
        }
        if utf8[index...].elementsEqual("Infinity".utf8) { return negative ? -.infinity : .infinity }
        // StrUnsignedDecimalLiteral: digits [. digits] [e sign digits] | . digits [e ...]
        var sawDigits = false
        while index < utf8.count, isDigit(utf8[index]) { index += 1; sawDigits = true }
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            while index < utf8.count, isDigit(utf8[index]) { index += 1; sawDigits = true }
        }
        guard sawDigits else { return nil }
        if index < utf8.count, utf8[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < utf8.count, utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-") { index += 1 }
            var sawExponent = false
            while index < utf8.count, isDigit(utf8[index]) { index += 1; sawExponent = true }
            guard sawExponent else { return nil }
        }
        guard index == utf8.count else { return nil }
        // Swift's parser rejects a trailing "." ("1.") and a leading "." (".5"): normalise both.
        if utf8.last == UInt8(ascii: ".") { utf8.append(UInt8(ascii: "0")) }
        return Double(String(decoding: utf8, as: UTF8.self).replacingDotPrefix())
    }

    /// `String(number)` as JavaScript prints it (`1`, `1.5`, `1e+21`).
    static func format(_ value: Double) -> String {
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value.isNaN { return "NaN" }
        var writer = JSONWriter(reservingCapacity: 24)
        writer.writeNumber(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}

extension String {
    /// `.5` → `0.5`, `-.5` → `-0.5`, `+.5` → `+0.5`: forms JavaScript accepts and Swift's parser does not.
    fileprivate func replacingDotPrefix() -> String {
        var text = self
        if text.hasPrefix("+") { text.removeFirst() }
        if text.hasPrefix(".") { return "0" + text }
        if text.hasPrefix("-.") { return "-0" + text.dropFirst() }
        return text
    }
}

/// JavaScript string semantics that grest-ts relies on.
enum JavaScriptString {
    /// `String.prototype.length`: UTF-16 code units.
    @inline(__always)
    static func length(_ value: String) -> Int { value.utf16.count }

    /// `String.prototype.trim()`: strips WhiteSpace and LineTerminator code points from both ends.
    static func trim(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWhitespace($0) })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return value }
        return String(scalars[first...last])
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }
}
