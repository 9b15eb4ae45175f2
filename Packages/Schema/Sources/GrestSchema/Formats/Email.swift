public import Tagged

/// Phantom tag of ``Email``.
public enum EmailTag {}
/// An email address accepted by ``IsEmail`` (grest-ts `tEmail`).
public typealias Email = Tagged<EmailTag, String>

/// Email addresses: the HTML5 pattern plus the RFC 5321 length limits (grest-ts `IsEmail`).
///
/// A string that is not an address reports `invalid.email`.
public let IsEmail: Schema<Email> =
    IsString
    .refine(.email) { EmailAddress.isValid($0) }
    .brand(EmailTag.self, name: "email")
    .docs(title: "Email address", example: "user@example.com")

/// The grest-ts `isValidEmail` check, matched over UTF-8 bytes.
enum EmailAddress {
    /// grest-ts, verbatim: length ≤ 254, `indexOf('@')` ≤ 64, no `..` and no leading or trailing `.` in
    /// the local part, then
    /// `/^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/`.
    ///
    /// The checks are a conjunction, so their order does not matter. The pattern is ASCII only, so a
    /// string that passes has one byte per UTF-16 unit and byte counts equal JavaScript lengths.
    static func isValid(_ value: String) -> Bool {
        ASCIIByte.withBytes(of: value) { isValid(bytes: $0) }
    }

    static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 254, let at = bytes.firstIndex(of: ASCIIByte.at), at >= 1, at <= 64 else { return false }
        // Local part: `[…]+` (it cannot hold `@`, so the pattern's `@` is the first one), no `..`, no edge dot.
        guard bytes[0] != ASCIIByte.dot, bytes[at - 1] != ASCIIByte.dot else { return false }
        var previous: UInt8 = 0
        for index in 0..<at {
            let byte = bytes[index]
            guard isLocalPartByte(byte), !(byte == ASCIIByte.dot && previous == ASCIIByte.dot) else { return false }
            previous = byte
        }
        // Domain: two or more dot-separated labels of 1–63 `[a-zA-Z0-9-]`, alphanumeric at both ends.
        var labels = 0
        var labelStart = at + 1
        for index in (at + 1)...bytes.count {
            guard index == bytes.count || bytes[index] == ASCIIByte.dot else { continue }
            guard isLabel(bytes, labelStart..<index) else { return false }
            labels += 1
            labelStart = index + 1
        }
        return labels >= 2
    }

    /// `[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]`.
    private static func isLocalPartByte(_ byte: UInt8) -> Bool {
        if ASCIIByte.isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"),
            UInt8(ascii: "~"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// `[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?`.
    private static func isLabel(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard (1...63).contains(range.count), ASCIIByte.isAlphanumeric(bytes[range.lowerBound]),
            ASCIIByte.isAlphanumeric(bytes[range.upperBound - 1])
        else { return false }
        for index in range where !ASCIIByte.isAlphanumeric(bytes[index]) && bytes[index] != ASCIIByte.hyphen { return false }
        return true
    }
}
