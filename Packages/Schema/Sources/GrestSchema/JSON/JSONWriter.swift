/// Writes JSON text into a byte array, formatting numbers exactly as JavaScript's `JSON.stringify`.
///
/// Low level by design: schemas call it directly to write values without building a ``JSONValue`` tree.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]

    public init(reservingCapacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(reservingCapacity)
    }

    @inlinable
    public mutating func writeNull() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    @inlinable
    public mutating func writeBool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
    }

    @inlinable
    public mutating func writeRaw(_ byte: UInt8) {
        bytes.append(byte)
    }

    @inlinable
    public mutating func writeRaw(_ bytes: some Sequence<UInt8>) {
        self.bytes.append(contentsOf: bytes)
    }

    /// Writes `"key":`.
    @inlinable
    public mutating func writeKey(_ key: String) {
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes an integer in decimal.
    public mutating func writeInt(_ value: Int) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for position in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[position]) }
        }
    }

    /// Writes a number as JavaScript prints it: integers without a fraction, shortest round-trip digits,
    /// exponent form outside 1e-7 < |x| < 1e21; `-0` as `0`; non-finite values as `null` (as `JSON.stringify`).
    public mutating func writeNumber(_ value: Double) {
        guard value.isFinite else {
            writeNull()
            return
        }
        if value == value.rounded(.towardZero) && abs(value) < 9.0e15 {
            writeInt(Int(value))
            return
        }
        // Swift's shortest round-trip text equals JavaScript's whenever it has no exponent (Swift switches to
        // exponent form earlier than JavaScript, never later); only those cases need re-laying out.
        let text = value.description
        if !text.utf8.contains(UInt8(ascii: "e")) {
            // Large integers print as "9007199254740992.0" in Swift, without the fraction in JavaScript.
            bytes.append(contentsOf: text.hasSuffix(".0") ? text.utf8.dropLast(2) : text.utf8[...])
        } else {
            bytes.append(contentsOf: JSONWriter.javaScriptDigits(value).utf8)
        }
    }

    /// `Number.prototype.toString()` for finite values, from Swift's shortest round-trip digits.
    static func javaScriptDigits(_ value: Double) -> String {
        if value == 0 { return "0" }
        let negative = value < 0
        let text = abs(value).description  // shortest round-trip: "123.456", "1.5e-07", "1e+21"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        // digits d1…dk and n such that value = 0.d1…dk × 10^n (ECMA-262 Number::toString).
        var digits = ""
        var pointPosition = 0
        if let dot = mantissa.firstIndex(of: ".") {
            let integerPart = mantissa[..<dot]
            let fractionPart = mantissa[mantissa.index(after: dot)...]
            digits = String(integerPart) + String(fractionPart)
            pointPosition = integerPart.count
        } else {
            digits = String(mantissa)
            pointPosition = mantissa.count
        }
        var n = pointPosition + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return "0" }
        let k = digits.count
        var result = negative ? "-" : ""
        if k <= n && n <= 21 {
            result += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            result += digits.prefix(n) + "." + digits.dropFirst(n)
        } else if -6 < n && n <= 0 {
            result += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            result += String(digits.prefix(1))
            if k > 1 { result += "." + digits.dropFirst() }
            result += "e" + (e >= 0 ? "+" : "-") + String(abs(e))
        }
        return result
    }

    /// Writes a quoted string, escaping `"`, `\` and control characters as `JSON.stringify` does.
    public mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(JSONWriter.hexDigits[Int(byte >> 4)])
                    bytes.append(JSONWriter.hexDigits[Int(byte & 0x0F)])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes any JSON value.
    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeNull()
        case .bool(let flag): writeBool(flag)
        case .number(let number): writeNumber(number)
        case .string(let string): writeString(string)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for index in items.indices {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(items[index])
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for index in object.members.indices {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeKey(object.members[index].key)
                write(object.members[index].value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

extension JSONValue {
    /// This value as JSON bytes.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return writer.bytes
    }

    /// This value as JSON text.
    public var jsonString: String {
        String(decoding: jsonBytes(), as: UTF8.self)
    }
}
