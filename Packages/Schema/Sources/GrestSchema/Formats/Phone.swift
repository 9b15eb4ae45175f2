public import Tagged

/// Phantom tag of ``PhoneNumber``.
public enum PhoneNumberTag {}
/// An international phone number `+<digits>`, accepted by ``IsPhone`` (grest-ts `tPhone`).
public typealias PhoneNumber = Tagged<PhoneNumberTag, String>

/// International phone numbers: `+`, then digits only, 8–15 characters in all (grest-ts `IsPhone`).
///
/// The first failing check reports, in this order: no leading `+` → `invalid.phone.countryCode`,
/// length outside 8–15 → `invalid.phone.length`, a non-digit after `+` → `invalid.phone.format`.
public let IsPhone: Schema<PhoneNumber> =
    IsString
    .refine(.phoneCountryCode) { $0.utf8.first == UInt8(ascii: "+") }
    .refine(.phoneLength) { (8...15).contains(JavaScriptString.length($0)) }
    .refine(.phoneFormat) { PhoneNumberText.hasOnlyDigitsAfterPlus($0) }
    .brand(PhoneNumberTag.self, name: "phone")
    .docs(title: "Phone number", description: "International format with country code", example: "+12025551234")

enum PhoneNumberText {
    /// grest-ts: `/^\d+$/.test(v.slice(1))`.
    static func hasOnlyDigitsAfterPlus(_ value: String) -> Bool {
        let digits = value.utf8.dropFirst()
        return !digits.isEmpty && digits.allSatisfy(ASCIIByte.isDigit)
    }
}
