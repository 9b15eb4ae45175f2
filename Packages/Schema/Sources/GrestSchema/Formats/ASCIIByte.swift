/// Byte classes for the hand-written format matchers, each the exact set of a JavaScript regex class.
///
/// grest-ts regexes carry no `u` or `i` flag, so `\d` is `[0-9]` and letters are ASCII only: any
/// byte ≥ 0x80 (a UTF-8 lead or continuation byte) falls outside every class, as a non-ASCII
/// UTF-16 unit does in JavaScript.
enum ASCIIByte {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")
    static let hyphen = UInt8(ascii: "-")
    static let at = UInt8(ascii: "@")
    static let percent = UInt8(ascii: "%")

    /// `[0-9]`, JavaScript's `\d`.
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `[a-z]`.
    @inline(__always)
    static func isLowercase(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "a") < 26 }

    /// `[A-Z]`.
    @inline(__always)
    static func isUppercase(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "A") < 26 }

    /// `[a-zA-Z]`.
    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool { isLowercase(byte) || isUppercase(byte) }

    /// `[a-zA-Z0-9]`.
    @inline(__always)
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    /// `[0-9a-fA-F]`.
    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 6 }

    /// The numeric value of a byte that ``isHexDigit(_:)`` accepts.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8 { isDigit(byte) ? byte &- UInt8(ascii: "0") : (byte | 0x20) &- UInt8(ascii: "a") &+ 10 }

    /// C0 controls, space and DEL.
    @inline(__always)
    static func isControlOrSpace(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == 0x7F }

    /// Runs `body` over the UTF-8 bytes of `string` without copying a native string.
    @inline(__always)
    static func withBytes<R>(of string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var string = string
        return string.withUTF8(body)
    }
}
