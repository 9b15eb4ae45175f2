public import Tagged

/// Phantom tag of ``CountryCode``.
public enum CountryCodeTag {}
/// An ISO 3166-1 alpha-2 country code (`US`, `EE`), accepted by ``IsCountry`` (grest-ts `tCountry`).
public typealias CountryCode = Tagged<CountryCodeTag, String>

/// Phantom tag of ``CurrencyCode``.
public enum CurrencyCodeTag {}
/// An ISO 4217 currency code (`USD`, `EUR`), accepted by ``IsCurrency`` (grest-ts `tCurrency`).
public typealias CurrencyCode = Tagged<CurrencyCodeTag, String>

/// Phantom tag of ``LocaleCode``.
public enum LocaleCodeTag {}
/// A BCP 47 language or language-region code (`en`, `en-US`), accepted by ``IsLocale`` (grest-ts `tLocale`).
public typealias LocaleCode = Tagged<LocaleCodeTag, String>

/// Phantom tag of ``LanguageCode``.
public enum LanguageCodeTag {}
/// An ISO 639-1 language code (`en`, `de`), accepted by ``IsLanguage`` (grest-ts `tLanguage`).
public typealias LanguageCode = Tagged<LanguageCodeTag, String>

/// Country codes: two ASCII capitals, `/^[A-Z]{2}$/` (grest-ts `IsCountry`); else `invalid.country`.
///
/// Only the shape is checked, not membership in ISO 3166-1.
public let IsCountry: Schema<CountryCode> =
    IsString
    .refine(.country) { CodeText.matches($0, count: 2, ASCIIByte.isUppercase) }
    .brand(CountryCodeTag.self, name: "country")
    .docs(title: "Country code", description: "ISO 3166-1 alpha-2", example: "US")

/// Currency codes: three ASCII capitals, `/^[A-Z]{3}$/` (grest-ts `IsCurrency`); else `invalid.currency`.
///
/// Only the shape is checked, not membership in ISO 4217.
public let IsCurrency: Schema<CurrencyCode> =
    IsString
    .refine(.currency) { CodeText.matches($0, count: 3, ASCIIByte.isUppercase) }
    .brand(CurrencyCodeTag.self, name: "currency")
    .docs(title: "Currency code", description: "ISO 4217", example: "USD")

/// Locale codes `ll` or `ll-RR`, `/^[a-z]{2}(-[A-Z]{2})?$/` (grest-ts `IsLocale`); else `invalid.locale`.
public let IsLocale: Schema<LocaleCode> =
    IsString
    .refine(.locale) { CodeText.isLocale($0) }
    .brand(LocaleCodeTag.self, name: "locale")
    .docs(title: "Locale code", description: "BCP 47 language or language-region format", example: "en-US")

/// Language codes: two ASCII lowercase letters, `/^[a-z]{2}$/` (grest-ts `IsLanguage`); else `invalid.language`.
///
/// When coercing, an `Accept-Language` style value is reduced to its first language first:
/// `"en-US,de"` → `"en"`, `"EN"` → `"en"`; `""`, `"*"` and blank strings are left alone (and then fail).
public let IsLanguage: Schema<LanguageCode> =
    IsString
    .coerce { CodeText.coerceLanguage($0) }
    .refine(.language) { CodeText.matches($0, count: 2, ASCIIByte.isLowercase) }
    .brand(LanguageCodeTag.self, name: "language")
    .docs(title: "Language code", description: "ISO 639-1", example: "en")

enum CodeText {
    /// `/^[class]{count}$/`.
    static func matches(_ value: String, count: Int, _ isMember: (UInt8) -> Bool) -> Bool {
        let utf8 = value.utf8
        return utf8.count == count && utf8.allSatisfy(isMember)
    }

    /// `/^[a-z]{2}(-[A-Z]{2})?$/`.
    static func isLocale(_ value: String) -> Bool {
        ASCIIByte.withBytes(of: value) { bytes in
            guard bytes.count == 2 || bytes.count == 5, ASCIIByte.isLowercase(bytes[0]), ASCIIByte.isLowercase(bytes[1]) else {
                return false
            }
            return bytes.count == 2
                || (bytes[2] == ASCIIByte.hyphen && ASCIIByte.isUppercase(bytes[3]) && ASCIIByte.isUppercase(bytes[4]))
        }
    }

    /// grest-ts `coerceLanguage`: `lang.split(',')[0].split('-')[0].toLowerCase()`, leaving `""`, `"*"` and
    /// whitespace-only strings (and non-strings) as they are.
    static func coerceLanguage(_ value: JSONValue) -> JSONValue {
        guard case .string(let text) = value, !text.isEmpty, text != "*", !JavaScriptString.trim(text).isEmpty else { return value }
        let scalars = text.unicodeScalars
        let end = scalars.firstIndex { $0 == "," || $0 == "-" } ?? scalars.endIndex
        return .string(String(scalars[..<end]).lowercased())
    }
}
