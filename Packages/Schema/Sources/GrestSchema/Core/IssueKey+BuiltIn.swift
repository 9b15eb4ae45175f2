// The issue codes and templates of grest-ts, verbatim: they are part of the wire protocol.
// Every code but `required` carries the `invalid.` prefix (grest-ts `GGIssueInvalid`).
extension IssueKey {
    public static let required = builtIn("required", "Value is required")

    public static let stringType = builtIn("invalid.string.type", "Value must be a string")
    public static let stringNonEmpty = builtIn("invalid.string.nonEmpty", "Value must not be empty")
    public static let stringMinLength = builtIn("invalid.string.minLength", "Value must be at least {min} characters", ["min": "Minimum length"])
    public static let stringMaxLength = builtIn("invalid.string.maxLength", "Value must be at most {max} characters", ["max": "Maximum length"])
    public static let stringRange = builtIn(
        "invalid.string.range", "Value must be between {min} and {max} characters", ["min": "Minimum value", "max": "Maximum value"])
    public static let stringPattern = builtIn("invalid.string.pattern", "Value does not match required pattern")

    public static let numberType = builtIn("invalid.number.type", "Value must be a number")
    public static let numberInteger = builtIn("invalid.number.integer", "Value must be an integer")
    public static let numberMin = builtIn("invalid.number.min", "Value must be at least {min}", ["min": "Minimum value"])
    public static let numberMax = builtIn("invalid.number.max", "Value must be at most {max}", ["max": "Maximum value"])
    public static let numberRange = builtIn(
        "invalid.number.range", "Value must be between {min} and {max}", ["min": "Minimum value", "max": "Maximum value"])
    public static let numberMultipleOf = builtIn("invalid.number.multipleOf", "Value must be a multiple of {multipleOf}", ["multipleOf": "Multiple of"])

    public static let booleanType = builtIn("invalid.boolean.type", "Value must be a boolean")
    public static let bitType = builtIn("invalid.bit.type", "Value must be 0 or 1")
    public static let literalInvalid = builtIn("invalid.literal.invalid", "Value must be one of: {expected}", ["expected": "Expected values"])

    public static let objectType = builtIn("invalid.object.type", "Value must be an object")
    public static let arrayType = builtIn("invalid.array.type", "Value must be an array")
    public static let arrayMinLength = builtIn("invalid.array.minLength", "Array must have at least {min} items", ["min": "Minimum length"])
    public static let arrayMaxLength = builtIn("invalid.array.maxLength", "Array must have at most {max} items", ["max": "Maximum length"])
    public static let arrayRange = builtIn(
        "invalid.array.range", "Array length must be between {min} and {max}", ["min": "Minimum value", "max": "Maximum value"])
    public static let tupleType = builtIn("invalid.tuple.type", "Value must be an array")
    public static let tupleLength = builtIn(
        "invalid.tuple.length", "Expected {expected} elements, got {actual}", ["expected": "Expected length", "actual": "Actual length"])
    public static let recordType = builtIn("invalid.record.type", "Value must be an object")
    public static let unionInvalid = builtIn("invalid.union.invalid", "Value does not match any variant")
    public static let discriminatedNotObject = builtIn("invalid.dunion.notObject", "Value must be an object")
    public static let discriminatedMissing = builtIn(
        "invalid.dunion.missingDiscriminator", "Missing discriminator field '{field}'", ["field": "Discriminator field"])
    public static let discriminatedUnknown = builtIn(
        "invalid.dunion.unknownVariant", "Unknown variant '{value}' for discriminator '{field}'",
        ["field": "Discriminator field", "value": "Discriminator value"])

    /// Not in grest-ts (its transports reject bad JSON before validation): a body that is not JSON at all.
    public static let json = builtIn("invalid.json", "Invalid JSON: {reason}", ["reason": "Parser message with byte offset"])

    public static let email = builtIn("invalid.email", "Invalid email format")
    public static let url = builtIn("invalid.url", "Invalid URL format")
    public static let dateFormat = builtIn("invalid.date.format", "Expected date format YYYY-MM-DD")
    public static let dateInvalid = builtIn("invalid.date.invalid", "Invalid date")
    public static let dateTimeFormat = builtIn("invalid.datetime.format", "Expected format YYYY-MM-DD HH:mm:ss")
    public static let dateTimeInvalid = builtIn("invalid.datetime.invalid", "Invalid datetime")
    public static let time = builtIn("invalid.time", "Expected time in HH:mm:ss format (24-hour)")
    public static let ip = builtIn("invalid.ip", "Invalid IPv4 or IPv6 address")
    public static let phoneCountryCode = builtIn("invalid.phone.countryCode", "Phone must start with + and country code")
    public static let phoneLength = builtIn("invalid.phone.length", "Phone length must be 8-15 characters")
    public static let phoneFormat = builtIn("invalid.phone.format", "Phone must contain only digits after +")
    public static let passwordType = builtIn("invalid.password.type", "Value must be a string")
    public static let passwordTooShort = builtIn("invalid.password.tooShort", "Password must be at least {min} characters", ["min": "Minimum length"])
    public static let passwordTooLong = builtIn("invalid.password.tooLong", "Password must be at most {max} characters", ["max": "Maximum length"])
    public static let passwordNeedsLetter = builtIn("invalid.password.needsLetter", "Password must contain at least one letter")
    public static let passwordNeedsNumber = builtIn("invalid.password.needsNumber", "Password must contain at least one number")
    public static let passwordNeedsLowercase = builtIn("invalid.password.needsLowercase", "Password must contain at least one lowercase letter")
    public static let passwordNeedsUppercase = builtIn("invalid.password.needsUppercase", "Password must contain at least one uppercase letter")
    public static let passwordNeedsSpecial = builtIn("invalid.password.needsSpecial", "Password must contain at least one special character")
    public static let country = builtIn("invalid.country", "Expected ISO 3166-1 alpha-2 country code (e.g., 'US', 'EE')")
    public static let currency = builtIn("invalid.currency", "Expected ISO 4217 currency code (e.g., 'USD', 'EUR')")
    public static let locale = builtIn("invalid.locale", "Expected BCP 47 locale code (e.g., 'en', 'en-US')")
    public static let language = builtIn("invalid.language", "Expected ISO 639-1 language code (e.g., 'en', 'de')")
    public static let bearerFormat = builtIn("invalid.bearer.format", "Expected a Bearer token in the format 'Bearer <token>'")

    /// Every built-in key, registered before any user key.
    static var allBuiltIn: [IssueKey] {
        [
            required, stringType, stringNonEmpty, stringMinLength, stringMaxLength, stringRange, stringPattern,
            numberType, numberInteger, numberMin, numberMax, numberRange, numberMultipleOf,
            booleanType, bitType, literalInvalid, objectType, arrayType, arrayMinLength, arrayMaxLength, arrayRange,
            tupleType, tupleLength, recordType, unionInvalid, discriminatedNotObject, discriminatedMissing, discriminatedUnknown, json,
            email, url, dateFormat, dateInvalid, dateTimeFormat, dateTimeInvalid, time, ip, phoneCountryCode, phoneLength, phoneFormat,
            passwordType, passwordTooShort, passwordTooLong, passwordNeedsLetter, passwordNeedsNumber, passwordNeedsLowercase,
            passwordNeedsUppercase, passwordNeedsSpecial, country, currency, locale, language, bearerFormat,
        ]
    }
}
