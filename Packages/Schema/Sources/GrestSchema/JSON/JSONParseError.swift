/// Why a byte sequence is not JSON, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case emptyInput
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case controlCharacterInString
        case invalidUTF8
        case tooDeep(limit: Int)
        case trailingCharacters
    }

    public var reason: Reason
    /// Byte offset of the offending byte (the end of input for `unexpectedEnd`).
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        switch reason {
        case .emptyInput: "Empty input"
        case .unexpectedEnd: "Unexpected end of input at offset \(offset)"
        case .unexpectedCharacter(let byte):
            if byte >= 0x20 && byte < 0x7F {
                "Unexpected character '\(Character(Unicode.Scalar(byte)))' at offset \(offset)"
            } else {
                "Unexpected byte 0x\(String(byte, radix: 16, uppercase: true)) at offset \(offset)"
            }
        case .invalidNumber: "Invalid number at offset \(offset)"
        case .invalidEscape: "Invalid escape sequence at offset \(offset)"
        case .invalidUnicodeEscape: "Invalid \\u escape at offset \(offset)"
        case .loneSurrogate: "Unpaired UTF-16 surrogate escape at offset \(offset)"
        case .controlCharacterInString: "Unescaped control character in string at offset \(offset)"
        case .invalidUTF8: "Invalid UTF-8 at offset \(offset)"
        case .tooDeep(let limit): "Nesting deeper than \(limit) at offset \(offset)"
        case .trailingCharacters: "Unexpected data after the JSON value at offset \(offset)"
        }
    }
}
