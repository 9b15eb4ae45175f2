/// A strict RFC 8259 JSON reader over UTF-8 bytes, as `JSON.parse` behaves, plus:
/// invalid UTF-8 is rejected, lone surrogate escapes are rejected (a Swift `String` cannot hold them),
/// nesting is limited (`maxDepth`, 512 by default), and errors carry the byte offset.
///
/// Overflowing numbers (`1e999`) read as ±infinity, like JavaScript; numeric schemas then reject them.
/// Duplicate keys are kept in order; ``JSONObject`` lookups take the last, like `JSON.parse`.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public var maxDepth: Int

    public init(maxDepth: Int = 512) {
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var reader = JSONReader(bytes: bytes.bindMemory(to: UInt8.self), maxDepth: maxDepth)
        return try reader.readDocument()
    }

    /// Parses one JSON document.
    public func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = JSONReader(bytes: buffer, maxDepth: maxDepth)
            return Result { () throws(JSONParseError) -> JSONValue in try reader.readDocument() }
        }
        if let result { return try result.get() }
        let array = Array(bytes)
        return try parse(array)
    }

    /// Parses one JSON document from text.
    public func parse(_ string: String) throws(JSONParseError) -> JSONValue {
        var string = string
        let result: Result<JSONValue, JSONParseError> = string.withUTF8 { buffer in
            var reader = JSONReader(bytes: buffer, maxDepth: maxDepth)
            return Result { () throws(JSONParseError) -> JSONValue in try reader.readDocument() }
        }
        return try result.get()
    }
}

extension JSONValue {
    /// Parses JSON bytes with the default ``JSONParser``.
    public init(parsing bytes: some Sequence<UInt8>) throws(JSONParseError) {
        self = try JSONParser().parse(bytes)
    }

    /// Parses JSON text with the default ``JSONParser``.
    public init(parsing string: String) throws(JSONParseError) {
        self = try JSONParser().parse(string)
    }
}

/// The recursive-descent reader behind ``JSONParser``; recursion is bounded by `maxDepth`.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func readDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw JSONParseError(bytes.isEmpty ? .emptyInput : .unexpectedEnd, at: index) }
        let value = try readValue()
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingCharacters, at: index) }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func readValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case let byte:
            throw JSONParseError(.unexpectedCharacter(byte), at: index)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let pointer = literal.utf8Start
        for offset in 0..<count {
            guard index + offset < bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
            guard bytes[index + offset] == pointer[offset] else {
                throw JSONParseError(.unexpectedCharacter(bytes[index + offset]), at: index + offset)
            }
        }
        index += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: index) }
    }

    mutating func readArray() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        skipWhitespace()
        var items: [JSONValue] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try readValue())
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(items)
            case let byte: throw JSONParseError(.unexpectedCharacter(byte), at: index)
            }
        }
    }

    mutating func readObject() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        skipWhitespace()
        var members: [JSONObject.Member] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject(members: members))
        }
        members.reserveCapacity(4)
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter(bytes[index]), at: index) }
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            guard bytes[index] == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter(bytes[index]), at: index) }
            index += 1
            skipWhitespace()
            let value = try readValue()
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(JSONObject(members: members))
            case let byte: throw JSONParseError(.unexpectedCharacter(byte), at: index)
            }
        }
    }

    // MARK: Strings

    /// Reads a string starting at its opening quote.
    mutating func readString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var isASCII = true
        // Fast scan of the plain run: no escapes, no control characters.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if isASCII { return String(decoding: run, as: UTF8.self) }
                guard let string = String(validating: run, as: UTF8.self) else {
                    throw JSONParseError(.invalidUTF8, at: start + JSONReader.firstInvalidUTF8(run))
                }
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        return try readEscapedString(from: start)
    }

    /// The slow path: the string has escapes. Raw bytes are copied in runs, escapes decoded, and the result
    /// validated as UTF-8 once at the end.
    mutating func readEscapedString(from start: Int) throws(JSONParseError) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(index - start + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        var runStart = index
        var hasNonASCII = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                if !hasNonASCII && !bytes[start..<index].contains(where: { $0 >= 0x80 }) {
                    return String(decoding: buffer, as: UTF8.self)
                }
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<index - 1])
                    throw JSONParseError(.invalidUTF8, at: start + JSONReader.firstInvalidUTF8(run))
                }
                return string
            case UInt8(ascii: "\\"):
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                let escapeStart = index
                index += 1
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
                switch bytes[index] {
                case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    index += 1
                    let unit = try readHex4()
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        // RFC 8259 §7: a high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw JSONParseError(.loneSurrogate, at: escapeStart)
                        }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.loneSurrogate, at: escapeStart) }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw JSONParseError(.loneSurrogate, at: escapeStart)
                    }
                    JSONReader.appendUTF8(scalarValue, to: &buffer)
                    if scalarValue >= 0x80 { hasNonASCII = true }
                    runStart = index
                    continue
                default:
                    throw JSONParseError(.invalidEscape, at: escapeStart)
                }
                index += 1
                runStart = index
            default:
                if byte < 0x20 { throw JSONParseError(.controlCharacterInString, at: index) }
                if byte >= 0x80 { hasNonASCII = true }
                index += 1
            }
        }
        throw JSONParseError(.unexpectedEnd, at: index)
    }

    mutating func readHex4() throws(JSONParseError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, at: index + offset)
            }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (scalar >> 6)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (scalar >> 12)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | (scalar >> 18)))
            buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// The offset of the first byte that breaks UTF-8 in `run` (for error messages only).
    static func firstInvalidUTF8(_ run: UnsafeBufferPointer<UInt8>) -> Int {
        var offset = 0
        while offset < run.count {
            let lead = run[offset]
            let length: Int
            switch lead {
            case 0..<0x80: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return offset
            }
            guard offset + length <= run.count,
                String(validating: UnsafeBufferPointer(rebasing: run[offset..<offset + length]), as: UTF8.self) != nil
            else { return offset }
            offset += length
        }
        return offset
    }

    // MARK: Numbers

    /// Reads a number per the RFC 8259 grammar; exact fast path for short integers and decimals.
    mutating func readNumber() throws(JSONParseError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        var mantissa: UInt64 = 0
        var digits = 0
        let integerStart = index
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, JSONReader.isDigit(bytes[index]) { throw JSONParseError(.invalidNumber, at: index) }
        } else {
            guard JSONReader.isDigit(bytes[index]) else { throw JSONParseError(.invalidNumber, at: index) }
            while index < bytes.count, JSONReader.isDigit(bytes[index]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
        }
        let integerDigits = index - integerStart
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < bytes.count, JSONReader.isDigit(bytes[index]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0")) }
                if mantissa != 0 || digits > 0 { digits += 1 }
                index += 1
            }
            fractionDigits = index - fractionStart
            guard fractionDigits > 0 else {
                throw index < bytes.count ? JSONParseError(.invalidNumber, at: index) : JSONParseError(.unexpectedEnd, at: index)
            }
        }
        var hasExponent = false
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let exponentStart = index
            while index < bytes.count, JSONReader.isDigit(bytes[index]) { index += 1 }
            guard index > exponentStart else {
                throw index < bytes.count ? JSONParseError(.invalidNumber, at: index) : JSONParseError(.unexpectedEnd, at: index)
            }
        }
        // Exact fast path (Clinger): ≤ 15 significant digits and a power of ten ≤ 22 are both exact doubles,
        // so one correctly rounded multiply or divide gives the correctly rounded result.
        if !hasExponent && digits <= 15 && integerDigits + fractionDigits <= 22 {
            var value = Double(mantissa)
            if fractionDigits > 0 { value /= JSONReader.powersOfTen[fractionDigits] }
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw JSONParseError(.invalidNumber, at: start) }
        return value
    }

    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
}
