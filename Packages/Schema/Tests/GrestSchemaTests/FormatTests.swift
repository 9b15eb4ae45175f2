import GrestSchema
import Tagged
import Testing

/// The issue codes of parsing `value` (`[]` when it parses), after checking that `is` agrees.
private func issueCodes<Output>(_ schema: Schema<Output>, _ value: JSONValue?, coerce: Bool = false) -> [String] {
    let codes: [String]
    switch schema.safeParse(value, coerce: coerce) {
    case .success: codes = []
    case .failure(let list): codes = list.issues.map(\.code)
    }
    if !coerce { #expect(schema.is(value) == codes.isEmpty, "is() disagrees with parse for \(String(describing: value))") }
    return codes
}

/// One expected code (or none, for a valid input) as the list `issueCodes` returns.
private func expected(_ code: String?) -> [String] { code.map { [$0] } ?? [] }

/// A seeded SplitMix64, so the generated cases are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `text` with up to three random edits (replace, insert or delete a character from `alphabet`), or
/// unchanged one time in three, so generated cases sit on both sides of a format's boundary.
private func mutated(_ text: String, alphabet: [Character], using generator: inout SplitMix64) -> String {
    var characters = Array(text)
    for _ in 0..<Int.random(in: 0...3, using: &generator) where Int.random(in: 0..<3, using: &generator) != 0 {
        let position = Int.random(in: 0...characters.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0 where position < characters.count: characters[position] = alphabet.randomElement(using: &generator)!
        case 1 where position < characters.count: characters.remove(at: position)
        default: characters.insert(alphabet.randomElement(using: &generator)!, at: position)
        }
    }
    return String(characters)
}

@Suite struct FormatTests {
    /// Every branded string format, to run the shared checks over all of them.
    enum StringFormat: String, CaseIterable, Sendable {
        case email, url, date, datetime, time, ip, phone, country, currency, locale, language, bearerToken

        func codes(_ value: JSONValue?, coerce: Bool = false) -> [String] {
            switch self {
            case .email: issueCodes(IsEmail, value, coerce: coerce)
            case .url: issueCodes(IsUrl, value, coerce: coerce)
            case .date: issueCodes(IsDate, value, coerce: coerce)
            case .datetime: issueCodes(IsDateTime, value, coerce: coerce)
            case .time: issueCodes(IsTime, value, coerce: coerce)
            case .ip: issueCodes(IsIp, value, coerce: coerce)
            case .phone: issueCodes(IsPhone, value, coerce: coerce)
            case .country: issueCodes(IsCountry, value, coerce: coerce)
            case .currency: issueCodes(IsCurrency, value, coerce: coerce)
            case .locale: issueCodes(IsLocale, value, coerce: coerce)
            case .language: issueCodes(IsLanguage, value, coerce: coerce)
            case .bearerToken: issueCodes(IsBearerToken, value, coerce: coerce)
            }
        }

        var schemaDescription: SchemaDescription {
            switch self {
            case .email: IsEmail.description
            case .url: IsUrl.description
            case .date: IsDate.description
            case .datetime: IsDateTime.description
            case .time: IsTime.description
            case .ip: IsIp.description
            case .phone: IsPhone.description
            case .country: IsCountry.description
            case .currency: IsCurrency.description
            case .locale: IsLocale.description
            case .language: IsLanguage.description
            case .bearerToken: IsBearerToken.description
            }
        }

        /// A value each format accepts.
        var sample: String {
            switch self {
            case .email: "user@example.com"
            case .url: "https://example.com"
            case .date: "2024-01-15"
            case .datetime: "2024-01-15 14:30:00"
            case .time: "14:30:00"
            case .ip: "192.168.1.1"
            case .phone: "+12025551234"
            case .country: "US"
            case .currency: "USD"
            case .locale: "en-US"
            case .language: "en"
            case .bearerToken: "Bearer abc"
            }
        }
    }

    // MARK: Shared behaviour

    @Test(arguments: StringFormat.allCases)
    func stringFormatsRejectNonStringsAndMissingValues(format: StringFormat) {
        #expect(format.codes(.string(format.sample)).isEmpty)
        #expect(format.codes(123) == ["invalid.string.type"])
        #expect(format.codes(true) == ["invalid.string.type"])
        #expect(format.codes([:]) == ["invalid.string.type"])
        #expect(format.codes([]) == ["invalid.string.type"])
        #expect(format.codes(.null) == ["required"])
        #expect(format.codes(nil) == ["required"])
    }

    @Test(arguments: StringFormat.allCases)
    func stringFormatsCarryTheGrestBrand(format: StringFormat) {
        #expect(format.schemaDescription.docs.brand == format.rawValue)
        #expect(format.schemaDescription.docs.title != nil)
        #expect(format.schemaDescription.docs.example != nil || format.schemaDescription.docs.examples != nil)
    }

    @Test(arguments: [
        (IsTimestamp.description, "timestamp"), (IsTimestampMs.description, "timestampMs"), (IsLatitude.description, "latitude"),
        (IsLongitude.description, "longitude"), (IsPercentage.description, "percentage"),
    ])
    func numberFormatsCarryTheGrestBrand(description: SchemaDescription, brand: String) {
        #expect(description.docs.brand == brand)
        #expect(description.docs.title != nil)
    }

    @Test func descriptionsMatchGrest() {
        #expect(IsTimestamp.description.node == .number(integer: true, min: 0, max: 32_503_680_000, multipleOf: nil))
        #expect(IsTimestampMs.description.node == .number(integer: true, min: 0, max: 32_503_680_000_000, multipleOf: nil))
        #expect(IsLatitude.description.node == .number(integer: false, min: -90, max: 90, multipleOf: nil))
        #expect(IsLongitude.description.node == .number(integer: false, min: -180, max: 180, multipleOf: nil))
        #expect(IsPercentage.description.node == .number(integer: false, min: 0, max: 100, multipleOf: nil))
        #expect(IsPassword().description.node == .password(minLength: 8, maxLength: 128))
        #expect(IsPassword(minLength: 12, maxLength: 64).description.node == .password(minLength: 12, maxLength: 64))
        #expect(IsEmail.description.docs.title == "Email address")
        #expect(IsDate.description.docs.description == "Format YYYY-MM-DD")
        #expect(IsDate.description.docs.format == "date")
        #expect(IsUrl.description.docs.format == "uri")
        #expect(IsIp.description.docs.examples == ["192.168.1.1", "::1"])
        #expect(IsBearerToken.description.docs.format == "bearer")
        #expect(IsBearerToken.description.node == .string(minLength: 1, maxLength: nil, pattern: nil))
        #expect(IsTimestamp.description.docs.title == "Unix timestamp in seconds")
        #expect(IsUrl.description.jsonSchema["format"] == "uri")
    }

    @Test func brandedValuesRoundTripAndWritesAreChecked() throws {
        let email: Email = try IsEmail.parse("user@example.com")
        #expect(email == Email("user@example.com"))
        #expect(IsEmail.stringify(email) == #""user@example.com""#)
        #expect(IsEmail.stringify(Email("not an email")) == nil)
        #expect(IsDate.stringify(DateString("2023-02-29")) == nil)
        let timestamp: Timestamp = try IsTimestamp.parse(1_700_000_000)
        #expect(timestamp.rawValue == 1_700_000_000)
        #expect(IsTimestamp.stringify(timestamp) == "1700000000")
        #expect(IsTimestamp.stringify(Timestamp(-1)) == nil)
        let latitude: Latitude = try IsLatitude.parse(59.437)
        #expect(IsLatitude.stringify(latitude) == "59.437")
        #expect(IsPassword().stringify("Password1") == #""Password1""#)
        #expect(IsPassword().stringify("short") == nil)
        #expect(throws: IssueList.self) { try IsPhone.validate(PhoneNumber("123")) }
    }

    @Test func optionalVariantsFollowGrest() {
        #expect(issueCodes(IsIp.orUndefined, nil).isEmpty)
        #expect(issueCodes(IsIp.orUndefined, .null) == ["required"])
        #expect(issueCodes(IsIp.orNull, .null).isEmpty)
        #expect(issueCodes(IsIp.orNull, nil) == ["required"])
        #expect(issueCodes(IsPassword().orUndefined, nil).isEmpty)
        #expect(issueCodes(IsPassword().orNull, .null).isEmpty)
    }

    @Test func issuesCarryGrestMessagesAndParams() throws {
        let phone = try #require(IsPhone.safeParse("123").failure)
        #expect(phone.issues.map(\.message) == ["Phone must start with + and country code"])
        let password = try #require(IsPassword().safeParse("Pw1").failure)
        #expect(password.issues.map(\.message) == ["Password must be at least 8 characters"])
        #expect(password.issues.first?.params == ["min": 8])
        let long = try #require(IsPassword(maxLength: 10).safeParse("Password12345").failure)
        #expect(long.issues.first?.params == ["max": 10])
        let range = try #require(IsTimestamp.safeParse(-1).failure)
        #expect(range.issues.first?.params == ["min": 0, "max": 32_503_680_000])
        let object = IsObject(Host.init, field("ip", \.ip, IsIp))
        let nested = try #require(object.safeParse(["ip": "1::2::3"]).failure)
        #expect(nested.issues.map(\.path) == ["ip"])
        #expect(nested.issues.map(\.code) == ["invalid.ip"])
    }

    struct Host: Sendable {
        var ip: IPAddress
    }

    // MARK: IsEmail

    static let emailCases: [(String, String?)] = [
        ("user@example.com", nil), ("test@test.org", nil), ("email@domain.co", nil), ("user@mail.example.com", nil),
        ("user@example.co.uk", nil), ("user+tag@example.com", nil), ("first.last@example.com", nil), ("user_name@example.com", nil),
        ("user-name@example.com", nil), ("test@domain-name.org", nil), ("user123@example.com", nil), ("a@b.c", nil),
        ("!#$%&'*+/=?^_`{|}~-@example.com", nil), ("user@exa--mple.com", nil), ("user@a.b.c.d.example.com", nil),
        (String(repeating: "a", count: 64) + "@example.com", nil),
        ("user@" + String(repeating: "a", count: 63) + ".com", nil),
        ("user@" + [61, 61, 61, 50].map { String(repeating: "a", count: $0) }.joined(separator: ".") + ".com", nil),
        ("userexample.com", "invalid.email"), ("invalid", "invalid.email"), ("user@", "invalid.email"), ("user@.", "invalid.email"),
        ("@example.com", "invalid.email"), ("user @example.com", "invalid.email"), ("user@ example.com", "invalid.email"),
        (" user@example.com", "invalid.email"), ("user@example.com ", "invalid.email"), ("user@domain", "invalid.email"),
        ("user@localhost", "invalid.email"), ("", "invalid.email"), ("user..name@example.com", "invalid.email"),
        ("user...name@example.com", "invalid.email"), (".user@example.com", "invalid.email"), ("user.@example.com", "invalid.email"),
        ("user@@example.com", "invalid.email"), ("user@-example.com", "invalid.email"), ("user@example-.com", "invalid.email"),
        ("user@example.com.", "invalid.email"), ("user@example..com", "invalid.email"), ("üser@example.com", "invalid.email"),
        ("user@exämple.com", "invalid.email"), ("user@example.com\n", "invalid.email"),
        (String(repeating: "a", count: 65) + "@example.com", "invalid.email"),
        ("user@" + String(repeating: "a", count: 64) + ".com", "invalid.email"),
        ("user@" + [61, 61, 61, 61].map { String(repeating: "a", count: $0) }.joined(separator: ".") + ".com", "invalid.email"),
    ]

    @Test(arguments: emailCases)
    func email(input: String, code: String?) {
        #expect(issueCodes(IsEmail, .string(input)) == expected(code))
    }

    @Test func emailMatcherAgreesWithTheVerbatimGrestCheck() throws {
        // grest-ts EMAIL_REGEX verbatim, split after the `@`.
        let pattern = try Regex(
            #"^[a-zA-Z0-9.!#$%&'*+\/=?^_`{|}~-]+@"#
                + #"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$"#
        )
        // grest-ts `isValidEmail`, with JavaScript's UTF-16 `length` and `indexOf`.
        func grestIsValidEmail(_ value: String) -> Bool {
            let units = Array(value.utf16)
            if units.count > 254 { return false }
            let at = units.firstIndex(of: UInt16(UInt8(ascii: "@"))) ?? -1
            if at > 64 { return false }
            let local = at < 0 ? "" : String(decoding: units[..<at], as: UTF16.self)
            if local.contains("..") || local.hasPrefix(".") || local.hasSuffix(".") { return false }
            return value.wholeMatch(of: pattern) != nil
        }
        let localTokens = ["a", "Z", "0", ".", "_", "+", "!", "~", "{", "first", "last", String(repeating: "l", count: 30)]
        let labelTokens = ["a", "com", "ex-ample", "-", "x1", "9", String(repeating: "d", count: 31)]
        let alphabet = Array("aZ0.@-_+! é")
        var generator = SplitMix64(state: 7)
        var validCount = 0
        for _ in 0..<4000 {
            let local = (0..<Int.random(in: 0...3, using: &generator)).map { _ in localTokens.randomElement(using: &generator)! }.joined()
            let labels = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                (0..<Int.random(in: 1...3, using: &generator)).map { _ in labelTokens.randomElement(using: &generator)! }.joined()
            }
            let candidate = mutated(local + "@" + labels.joined(separator: "."), alphabet: alphabet, using: &generator)
            let isValid = grestIsValidEmail(candidate)
            if isValid { validCount += 1 }
            #expect(IsEmail.is(.string(candidate)) == isValid, "\(candidate)")
        }
        #expect(validCount > 100, "the generator should produce valid addresses too")
    }

    // MARK: IsUrl

    static let urlCases: [(String, String?)] = [
        // grest-ts IsUrl.spec
        ("http://example.com", nil), ("https://example.com", nil), ("http://www.example.com", nil), ("https://sub.domain.example.com", nil),
        ("https://example.com/path", nil), ("https://example.com/path/to/resource", nil), ("https://example.com?query=value", nil),
        ("https://example.com/path?a=1&b=2", nil), ("https://example.com#section", nil), ("https://example.com?query=value#section", nil),
        ("https://example.com:8080", nil), ("http://localhost:3000", nil), ("http://192.168.1.1", nil), ("https://192.168.1.1:8080", nil),
        ("http://127.0.0.1", nil), ("http://[::1]", nil), ("http://[::1]:8080", nil), ("https://[2001:db8::1]", nil),
        ("https://[2001:db8::1]:443/path", nil), ("http://user:pass@example.com", nil), ("https://user@example.com", nil),
        ("https://xn--nxasmq5b.com", nil),
        ("example.com", "invalid.url"), ("www.example.com", "invalid.url"), ("ftp://example.com", "invalid.url"),
        ("mailto:user@example.com", "invalid.url"), ("file:///path/to/file", "invalid.url"), ("http://", "invalid.url"),
        ("https://", "invalid.url"), ("http:// invalid", "invalid.url"), ("", "invalid.url"),
        // WHATWG URL Standard behaviour
        ("HTTP://EXAMPLE.COM", nil), ("hTTpS://example.com/", nil), ("https://example.com:65535", nil), ("http://example.com:0", nil),
        ("http://example.com:", nil), ("http://example.com:0080/", nil), ("http://127.1", nil), ("http://0x7f.0.0.1", nil),
        ("http://0x7F000001", nil), ("http://example.com.", nil), ("http://ex%61mple.com", nil), ("http://exa_mple.com", nil),
        ("http://münchen.de/straße", nil), ("http://@example.com", nil), ("http://a:b@c:d@example.com", nil),
        ("http://user:p%40ss@host/path?q=a@b#frag@x", nil), ("http://example.com\\path", nil), ("http://[::ffff:1.2.3.4]", nil),
        ("http://[1:2:3:4:5:6:7:8]", nil), ("http://[1:2:3:4:5:6:7::]", nil), ("http://[::]/", nil), ("http://example.com/ü?ä#ö", nil),
        ("http://example.com/%zz", nil),
        ("https://example.com:65536", "invalid.url"), ("http://example.com:8a", "invalid.url"), ("http://example.com:-1", "invalid.url"),
        ("http://256.1.1.1", "invalid.url"), ("http://1.2.3.4.5", "invalid.url"), ("http://999999999999", "invalid.url"),
        ("http://1.2.3.256", "invalid.url"), ("http://08", "invalid.url"), ("http://0x1.0xg", nil), ("http://1..2", "invalid.url"),
        ("http://[::1", "invalid.url"), ("http://[::1]x", "invalid.url"), ("http://[fe80::1%25eth0]", "invalid.url"),
        ("http://[1::2::3]", "invalid.url"), ("http://[1:2:3:4:5:6:7:8:9]", "invalid.url"), ("http://[1:2:3:4:5:6:7]", "invalid.url"),
        ("http://[::1.2.3.04]", "invalid.url"), ("http://[::1.2.3]", "invalid.url"), ("http://[1:2:1.2.3.4]", "invalid.url"),
        ("http://[12345::]", "invalid.url"), ("http://[:1]", "invalid.url"), ("http://a[b]", "invalid.url"),
        ("http://exa%mple.com", "invalid.url"), ("http://a<b", "invalid.url"), ("http://a^b", "invalid.url"),
        ("http://a|b", "invalid.url"), ("http://%2F", "invalid.url"), ("http://user@", "invalid.url"), ("http://user@/path", "invalid.url"),
        ("http://:80", "invalid.url"), ("http://?q", "invalid.url"), ("http://#f", "invalid.url"), ("javascript:alert(1)", "invalid.url"),
        ("httpx://example.com", "invalid.url"), ("http:/example.com", "invalid.url"), ("http://exa\u{00A0}mple.com", "invalid.url"),
        // Documented deviations: the standard would trim, strip or percent-encode these, or skip the slashes.
        ("http://example.com/a b", "invalid.url"), (" http://example.com", "invalid.url"), ("http://example.com\t", "invalid.url"),
        ("http:example.com", "invalid.url"), ("http:///example.com", "invalid.url"), ("http:\\\\example.com", "invalid.url"),
    ]

    @Test(arguments: urlCases)
    func url(input: String, code: String?) {
        #expect(issueCodes(IsUrl, .string(input)) == expected(code))
    }

    // MARK: IsDate, IsDateTime, IsTime

    static let dateCases: [(String, String?)] = [
        ("2024-01-15", nil), ("2024-12-31", nil), ("2000-01-01", nil), ("1999-06-15", nil), ("2024-02-29", nil), ("2000-02-29", nil),
        ("2024-01-31", nil), ("2024-04-30", nil), ("2024-02-28", nil), ("0100-01-01", nil), ("9999-12-31", nil), ("1600-02-29", nil),
        ("2023-02-29", "invalid.date.invalid"), ("1900-02-29", "invalid.date.invalid"), ("2024-04-31", "invalid.date.invalid"),
        ("2024-06-31", "invalid.date.invalid"), ("2024-02-30", "invalid.date.invalid"), ("2024-00-15", "invalid.date.invalid"),
        ("2024-13-15", "invalid.date.invalid"), ("2024-01-00", "invalid.date.invalid"), ("2024-01-32", "invalid.date.invalid"),
        ("2024-99-99", "invalid.date.invalid"),
        // Date.UTC maps years 0–99 to 1900–1999, so grest-ts rejects every date in them.
        ("0000-01-01", "invalid.date.invalid"), ("0050-06-15", "invalid.date.invalid"), ("0099-12-31", "invalid.date.invalid"),
        ("01-15-2024", "invalid.date.format"), ("15-01-2024", "invalid.date.format"), ("2024/01/15", "invalid.date.format"),
        ("2024.01.15", "invalid.date.format"), ("20240115", "invalid.date.format"), ("2024-01-15 ", "invalid.date.format"),
        (" 2024-01-15", "invalid.date.format"), ("2024-01", "invalid.date.format"), ("2024", "invalid.date.format"),
        ("2024-1-15", "invalid.date.format"), ("2024-01-5", "invalid.date.format"), ("2024-2-3", "invalid.date.format"),
        ("", "invalid.date.format"), ("2024-01-15\n", "invalid.date.format"), ("+2024-01-15", "invalid.date.format"),
        ("２０２４-01-15", "invalid.date.format"), ("2024-01-15T00:00:00Z", "invalid.date.format"),
    ]

    @Test(arguments: dateCases)
    func date(input: String, code: String?) {
        #expect(issueCodes(IsDate, .string(input)) == expected(code))
    }

    static let dateTimeCases: [(String, String?)] = [
        ("2024-01-15 14:30:00", nil), ("2024-12-31 23:59:59", nil), ("2000-01-01 00:00:00", nil), ("2024-02-29 12:00:00", nil),
        ("2000-02-29 00:00:00", nil),
        ("2023-02-29 12:00:00", "invalid.datetime.invalid"), ("2024-13-15 12:00:00", "invalid.datetime.invalid"),
        ("2024-01-32 12:00:00", "invalid.datetime.invalid"), ("2024-04-31 12:00:00", "invalid.datetime.invalid"),
        ("2024-01-15 25:00:00", "invalid.datetime.invalid"), ("2024-01-15 24:00:00", "invalid.datetime.invalid"),
        ("2024-01-15 12:60:00", "invalid.datetime.invalid"), ("2024-01-15 12:30:60", "invalid.datetime.invalid"),
        ("0099-01-01 00:00:00", "invalid.datetime.invalid"),
        ("2024-01-15T14:30:00", "invalid.datetime.format"), ("2024/01/15 14:30:00", "invalid.datetime.format"),
        ("01-15-2024 14:30:00", "invalid.datetime.format"), ("2024-01-15 2:30:00 PM", "invalid.datetime.format"),
        ("2024-01-15  14:30:00", "invalid.datetime.format"), (" 2024-01-15 14:30:00", "invalid.datetime.format"),
        ("2024-01-15 14:30:00 ", "invalid.datetime.format"), ("2024-01-15", "invalid.datetime.format"),
        ("14:30:00", "invalid.datetime.format"), ("2024-01-15 14:30", "invalid.datetime.format"),
        ("2024-1-15 14:30:00", "invalid.datetime.format"), ("2024-01-15 4:30:00", "invalid.datetime.format"),
        ("", "invalid.datetime.format"),
    ]

    @Test(arguments: dateTimeCases)
    func dateTime(input: String, code: String?) {
        #expect(issueCodes(IsDateTime, .string(input)) == expected(code))
    }

    static let timeCases: [(String, String?)] = [
        ("14:30:00", nil), ("00:00:00", nil), ("23:59:59", nil), ("09:05:01", nil), ("19:00:00", nil),
        ("24:00:00", "invalid.time"), ("12:60:00", "invalid.time"), ("12:00:60", "invalid.time"), ("1:00:00", "invalid.time"),
        ("12:00", "invalid.time"), ("12:00:00 ", "invalid.time"), ("12:00:00.000", "invalid.time"), ("12-00-00", "invalid.time"),
        ("", "invalid.time"), ("2:30:00 PM", "invalid.time"), ("12:00:00\n", "invalid.time"),
    ]

    @Test(arguments: timeCases)
    func time(input: String, code: String?) {
        #expect(issueCodes(IsTime, .string(input)) == expected(code))
    }

    /// JavaScript's `Date.UTC(y, m - 1, d)` read back with `getUTC*`, computed with civil-day arithmetic
    /// (H. Hinnant's algorithms), including the mapping of years 0–99 to 1900–1999.
    private static func javaScriptDateRoundTrips(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Bool {
        func floorDivide(_ a: Int, _ b: Int) -> Int { (a - (a % b + b) % b) / b }
        func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int {
            let y = m <= 2 ? y - 1 : y
            let era = floorDivide(y, 400)
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }
        func civilFromDays(_ days: Int) -> (Int, Int, Int) {
            let z = days + 719_468
            let era = floorDivide(z, 146_097)
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let mp = (5 * dayOfYear + 2) / 153
            let d = dayOfYear - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            return (yearOfEra + era * 400 + (m <= 2 ? 1 : 0), m, d)
        }
        let fullYear = (0...99).contains(year) ? 1900 + year : year
        let monthIndex = month - 1
        let yearCarry = floorDivide(monthIndex, 12)
        let days = daysFromCivil(fullYear + yearCarry, monthIndex - yearCarry * 12 + 1, 1) + day - 1
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second
        let (y, m, d) = civilFromDays(floorDivide(seconds, 86400))
        let secondOfDay = seconds - floorDivide(seconds, 86400) * 86400
        return y == year && m == month && d == day && secondOfDay / 3600 == hour && secondOfDay % 3600 / 60 == minute
            && secondOfDay % 60 == second
    }

    @Test(arguments: [0, 1, 99, 100, 400, 1582, 1900, 1970, 2000, 2023, 2024, 2100, 9999])
    func dateAgreesWithTheDateUTCRoundTrip(year: Int) {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: width - digits.count) + digits
        }
        for month in 0...99 {
            for day in 0...99 {
                let text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
                let isValid = Self.javaScriptDateRoundTrips(year: year, month: month, day: day)
                #expect(IsDate.is(.string(text)) == isValid, "\(text)")
            }
        }
        var generator = SplitMix64(state: UInt64(year))
        for _ in 0..<500 {
            let fields = (0..<5).map { _ in Int.random(in: 0...99, using: &generator) }
            let text = "\(pad(year, 4))-\(pad(fields[0], 2))-\(pad(fields[1], 2)) \(pad(fields[2], 2)):\(pad(fields[3], 2)):\(pad(fields[4], 2))"
            let isValid = Self.javaScriptDateRoundTrips(
                year: year, month: fields[0], day: fields[1], hour: fields[2], minute: fields[3], second: fields[4])
            #expect(IsDateTime.is(.string(text)) == isValid, "\(text)")
        }
    }

    @Test func dateAndTimeShapesAgreeWithTheVerbatimRegexes() throws {
        let dateShape = try Regex(#"^\d{4}-\d{2}-\d{2}$"#).asciiOnlyDigits()
        let dateTimeShape = try Regex(#"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"#).asciiOnlyDigits()
        let time = try Regex(#"^([0-1][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])$"#)
        let templates = ["dddd-dd-dd", "dddd-dd-dd dd:dd:dd", "dd:dd:dd"]
        let alphabet = Array("0123456789-: T")
        var generator = SplitMix64(state: 11)
        var shapes = [0, 0, 0]
        for _ in 0..<4000 {
            let template = templates.randomElement(using: &generator)!
            let filled = String(template.map { $0 == "d" ? Character(String(Int.random(in: 0...9, using: &generator))) : $0 })
            let candidate = mutated(filled, alphabet: alphabet, using: &generator)
            let dateCodes = issueCodes(IsDate, .string(candidate))
            #expect((dateCodes != ["invalid.date.format"]) == (candidate.wholeMatch(of: dateShape) != nil), "\(candidate)")
            let dateTimeCodes = issueCodes(IsDateTime, .string(candidate))
            #expect((dateTimeCodes != ["invalid.datetime.format"]) == (candidate.wholeMatch(of: dateTimeShape) != nil), "\(candidate)")
            #expect(IsTime.is(.string(candidate)) == (candidate.wholeMatch(of: time) != nil), "\(candidate)")
            if candidate.wholeMatch(of: dateShape) != nil { shapes[0] += 1 }
            if candidate.wholeMatch(of: dateTimeShape) != nil { shapes[1] += 1 }
            if candidate.wholeMatch(of: time) != nil { shapes[2] += 1 }
        }
        #expect(shapes.allSatisfy { $0 > 20 }, "the generator should produce matching shapes too")
    }

    // MARK: IsTimestamp, IsTimestampMs

    static let timestampCases: [(JSONValue, [String])] = [
        (0, []), (1_700_000_000, []), (32_503_680_000, []), (32_503_680_001, ["invalid.number.range"]),
        (1.5, ["invalid.number.integer"]), (-1, ["invalid.number.range"]), (-1.5, ["invalid.number.integer", "invalid.number.range"]),
        ("1700000000", ["invalid.number.type"]), (true, ["invalid.number.type"]), (.null, ["required"]),
    ]

    @Test(arguments: timestampCases)
    func timestamp(input: JSONValue, codes: [String]) {
        #expect(issueCodes(IsTimestamp, input) == codes)
    }

    static let timestampMsCases: [(JSONValue, [String])] = [
        (0, []), (1_700_000_000_000, []), (32_503_680_000_000, []), (32_503_680_000_001, ["invalid.number.range"]),
        (0.5, ["invalid.number.integer"]), (-1, ["invalid.number.range"]), ("0", ["invalid.number.type"]),
    ]

    @Test(arguments: timestampMsCases)
    func timestampMs(input: JSONValue, codes: [String]) {
        #expect(issueCodes(IsTimestampMs, input) == codes)
    }

    @Test func timestampsCoerceStrings() throws {
        #expect(try IsTimestamp.parse("1700000000", coerce: true) == Timestamp(1_700_000_000))
        #expect(issueCodes(IsTimestamp, "1.5", coerce: true) == ["invalid.number.integer"])
    }

    // MARK: IsIp

    static let ipCases: [(String, String?)] = [
        // grest-ts IsIp.spec
        ("192.168.1.1", nil), ("10.0.0.1", nil), ("172.16.0.1", nil), ("8.8.8.8", nil), ("0.0.0.0", nil), ("255.255.255.255", nil),
        ("127.0.0.1", nil), ("256.0.0.1", "invalid.ip"), ("192.256.1.1", "invalid.ip"), ("192.168.256.1", "invalid.ip"),
        ("192.168.1.256", "invalid.ip"), ("-1.0.0.1", "invalid.ip"), ("192.-1.1.1", "invalid.ip"), ("192.168.1", "invalid.ip"),
        ("192.168", "invalid.ip"), ("192", "invalid.ip"), ("192.168.1.1.1", "invalid.ip"), ("192.168.a.1", "invalid.ip"),
        ("abc.def.ghi.jkl", "invalid.ip"), ("192.168. 1.1", "invalid.ip"), (" 192.168.1.1", "invalid.ip"), ("192.168.1.1 ", "invalid.ip"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", nil), ("2001:db8:85a3:0:0:8a2e:370:7334", nil), ("fe80:0:0:0:0:0:0:1", nil),
        ("::1", nil), ("::", nil), ("2001:db8::1", nil), ("::ffff:192.168.1.1", nil), ("0000:0000:0000:0000:0000:0000:0000:0001", nil),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nil), ("not an ip", "invalid.ip"), ("hello.world.foo.bar", "invalid.ip"),
        ("", "invalid.ip"),
        // IPv4 edge cases: the shape is \d{1,3}, and leading zeros are fine
        ("256.1.1.1", "invalid.ip"), ("999.1.1.1", "invalid.ip"), ("010.001.000.001", nil), ("1.2.3.04", nil), ("1234.1.1.1", "invalid.ip"),
        ("1.2.3.4.", "invalid.ip"), (".1.2.3.4", "invalid.ip"), ("1..2.3", "invalid.ip"), ("１.2.3.4", "invalid.ip"),
        // IPv6 compression
        ("1::", nil), ("1:2:3:4:5:6:7::", nil), ("::1:2:3:4:5:6:7", nil), ("1:2:3:4:5:6::7", nil), ("1::2:3:4:5:6:7", nil),
        ("ABCD:ef01::", nil), ("1::2::3", "invalid.ip"), ("1:2:3:4:5:6:7::8", "invalid.ip"), ("::1:2:3:4:5:6:7:8", "invalid.ip"),
        ("1:2:3:4:5:6:7:8:9", "invalid.ip"), ("1:2:3:4:5:6:7", "invalid.ip"), (":::", "invalid.ip"), ("1:::2", "invalid.ip"),
        (":1::2", "invalid.ip"), ("1::2:", "invalid.ip"), (":", "invalid.ip"), ("12345::1", "invalid.ip"), ("g::1", "invalid.ip"),
        ("::1 ", "invalid.ip"),
        // Embedded IPv4
        ("::1.2.3.4", nil), ("::ffff:0:1.2.3.4", nil), ("::ffff:0000:1.2.3.4", nil), ("1:2:3:4::1.2.3.4", nil), ("ffff::1.2.3.4", nil),
        ("::ffff:01.2.3.4", nil), ("::ffff:255.255.255.255", nil), ("::ffff:256.1.1.1", "invalid.ip"), ("::ffff:001.2.3.4", "invalid.ip"),
        ("::FFFF:1.2.3.4", "invalid.ip"), ("::1:1.2.3.4", "invalid.ip"), ("::ffff:00000:1.2.3.4", "invalid.ip"),
        ("::ffff:1:1.2.3.4", "invalid.ip"), ("1:2:3:4:5::1.2.3.4", "invalid.ip"), ("1::2:1.2.3.4", "invalid.ip"),
        ("1:2:3:4:5:6:1.2.3.4", "invalid.ip"), ("::1.2.3", "invalid.ip"), ("::1.2.3.4.5", "invalid.ip"),
        // Link-local with a zone
        ("fe80::1%eth0", nil), ("fe80::%eth0", nil), ("fe80:%eth0", nil), ("fe80::1:2:3:4%en0", nil), ("fe80:::::%1", nil),
        ("fe80::1%", "invalid.ip"), ("fe80::1%eth-0", "invalid.ip"), ("FE80::1%eth0", "invalid.ip"), ("fe80::1:2:3:4:5%eth0", "invalid.ip"),
        ("fe80::12345%eth0", "invalid.ip"), ("fe81::1%eth0", "invalid.ip"), ("fe80::1%eth0%1", "invalid.ip"), ("::1%eth0", "invalid.ip"),
        ("fe80::1.2.3.4%eth0", "invalid.ip"),
    ]

    @Test(arguments: ipCases)
    func ip(input: String, code: String?) {
        #expect(issueCodes(IsIp, .string(input)) == expected(code))
    }

    @Test func ipMatcherAgreesWithTheVerbatimGrestRegexes() throws {
        let ipv4 = try Regex(#"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$"#).asciiOnlyDigits()
        // grest-ts IPV6_REGEX verbatim, one alternative per line.
        let ipv6Alternatives = [
            #"([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"#,
            #"([0-9a-fA-F]{1,4}:){1,7}:"#,
            #"([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}"#,
            #"([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}"#,
            #"([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}"#,
            #"([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}"#,
            #"([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}"#,
            #"[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})"#,
            #":((:[0-9a-fA-F]{1,4}){1,7}|:)"#,
            #"fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+"#,
            #"::(ffff(:0{1,4})?:)?((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])"#,
            #"([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])"#,
        ]
        let ipv6 = try Regex("^(" + ipv6Alternatives.joined(separator: "|") + ")$")
        // grest-ts `isValidIp`.
        func grestIsValidIp(_ value: String) -> Bool {
            if value.wholeMatch(of: ipv4) != nil { return value.split(separator: ".").allSatisfy { Int($0)! <= 255 } }
            return value.wholeMatch(of: ipv6) != nil
        }
        var generator = SplitMix64(state: 3)
        let groups = ["0", "1", "a", "F", "ff", "ffff", "FFFF", "fe80", "0000", "12345", "abcd", "00", "g", ""]
        let tails = ["1.2.3.4", "255.0.0.1", "256.1.1.1", "01.2.3.4", "001.2.3.4", "1.2.3", "199.249.25.9"]
        let zones = ["%eth0", "%1", "%", "%a-b"]
        var candidates: [String] = []
        for _ in 0..<3000 {
            // Structured: groups joined by ":", maybe one "::", maybe an IPv4 tail or a zone.
            var parts = (0..<Int.random(in: 0...9, using: &generator)).map { _ in groups.randomElement(using: &generator)! }
            if Bool.random(using: &generator), !parts.isEmpty { parts.insert("", at: Int.random(in: 0...parts.count, using: &generator)) }
            var candidate = parts.joined(separator: ":")
            if Int.random(in: 0..<4, using: &generator) == 0 { candidate = "::" + candidate }
            if Int.random(in: 0..<3, using: &generator) == 0 { candidate += ":" + tails.randomElement(using: &generator)! }
            if Int.random(in: 0..<6, using: &generator) == 0 { candidate = "fe80:" + candidate + zones.randomElement(using: &generator)! }
            candidates.append(mutated(candidate, alphabet: Array("0af:.%"), using: &generator))
        }
        let tokens = ["0", "1", "9", "25", "255", "256", ".", ":", "::", "f", "ffff", "fe80", "%", "e0", "12345"]
        for _ in 0..<3000 {
            candidates.append((0..<Int.random(in: 1...10, using: &generator)).map { _ in tokens.randomElement(using: &generator)! }.joined())
        }
        var validCount = 0
        for candidate in candidates {
            let isValid = grestIsValidIp(candidate)
            if isValid { validCount += 1 }
            #expect(IsIp.is(.string(candidate)) == isValid, "\(candidate)")
        }
        #expect(validCount > 100, "the generator should produce valid addresses too")
    }

    // MARK: IsPhone

    static let phoneCases: [(String, String?)] = [
        ("+12025551234", nil), ("+1234567", nil), ("+12345678901234", nil), ("+372 5555", "invalid.phone.format"),
        ("123", "invalid.phone.countryCode"), ("", "invalid.phone.countryCode"), ("12025551234", "invalid.phone.countryCode"),
        (" +12025551234", "invalid.phone.countryCode"), ("+123", "invalid.phone.length"), ("+123456", "invalid.phone.length"),
        ("+123456789012345", "invalid.phone.length"), ("+1234567a", "invalid.phone.format"), ("++1234567", "invalid.phone.format"),
        ("+1-202-555-1234", "invalid.phone.format"), ("+１２３４５６７", "invalid.phone.format"),
    ]

    @Test(arguments: phoneCases)
    func phone(input: String, code: String?) {
        #expect(issueCodes(IsPhone, .string(input)) == expected(code))
    }

    // MARK: IsPassword

    static let passwordCases: [(PasswordStrength, String, String?)] = [
        (.medium, "Password1", nil), (.medium, "mypassword123", nil), (.medium, "abc123def", nil), (.medium, "12345678a", nil),
        (.medium, "12345678", "invalid.password.needsLetter"), (.medium, "123456789", "invalid.password.needsLetter"),
        (.medium, "password", "invalid.password.needsNumber"), (.medium, "abcdefgh", "invalid.password.needsNumber"),
        (.medium, "Pass1", "invalid.password.tooShort"), (.medium, "Pw1", "invalid.password.tooShort"), (.medium, "", "invalid.password.tooShort"),
        (.medium, "ääääääää1", "invalid.password.needsLetter"), (.medium, String(repeating: "a1", count: 65), "invalid.password.tooLong"),
        (.weak, "password", nil), (.weak, "12345678", nil), (.weak, "!!!!!!!!!", nil), (.weak, "pass", "invalid.password.tooShort"),
        (.weak, "1234567", "invalid.password.tooShort"), (.weak, "😀😀😀😀", nil), (.weak, "😀😀😀", "invalid.password.tooShort"),
        (.strong, "Password1!", nil), (.strong, "MyP@ssw0rd", nil), (.strong, "Str0ng!Pass", nil),
        (.strong, "PASSWORD1!", "invalid.password.needsLowercase"), (.strong, "password1!", "invalid.password.needsUppercase"),
        (.strong, "Password!", "invalid.password.needsNumber"), (.strong, "Password1", "invalid.password.needsSpecial"),
        (.strong, "Password1 ", "invalid.password.needsSpecial"), (.strong, "Password1€", "invalid.password.needsSpecial"),
        (.strong, "12345678", "invalid.password.needsLowercase"), (.strong, "Pw1!", "invalid.password.tooShort"),
    ]

    @Test(arguments: passwordCases)
    func password(strength: PasswordStrength, input: String, code: String?) {
        #expect(issueCodes(IsPassword(strength: strength), .string(input)) == expected(code))
    }

    @Test(arguments: Array(#"!@#$%^&*()-_=+[]{}'"|\,./<>?`~:;"#))
    func strongPasswordsAcceptEveryASCIIPunctuation(special: Character) {
        #expect(IsPassword(strength: .strong).is(.string("Password1\(special)")))
    }

    static let customLengthCases: [(String, String?)] = [
        ("MyPassword123", nil), (String(repeating: "a", count: 60) + "Aa1!", nil), ("Password1", "invalid.password.tooShort"),
        ("Password123", "invalid.password.tooShort"), (String(repeating: "a", count: 61) + "Aa1!", "invalid.password.tooLong"),
    ]

    @Test(arguments: customLengthCases)
    func passwordWithCustomLength(input: String, code: String?) {
        #expect(issueCodes(IsPassword(minLength: 12, maxLength: 64), .string(input)) == expected(code))
    }

    @Test func passwordTypeAndCoercion() throws {
        let schema = IsPassword()
        #expect(issueCodes(schema, 12_345_678) == ["invalid.password.type"])
        #expect(issueCodes(schema, 12_345_678, coerce: true) == ["invalid.password.needsLetter"])
        #expect(issueCodes(IsPassword(strength: .weak), 12_345_678, coerce: true).isEmpty)
        #expect(issueCodes(schema, true, coerce: true) == ["invalid.password.type"])
        #expect(issueCodes(schema, [:]) == ["invalid.password.type"])
        #expect(issueCodes(schema, .null) == ["required"])
        #expect(issueCodes(schema, nil) == ["required"])
        #expect(try IsPassword(strength: .weak).parse(123_456_789, coerce: true) == "123456789")
    }

    // MARK: IsCountry, IsCurrency, IsLocale, IsLanguage

    static let countryCases: [(String, String?)] = [
        ("US", nil), ("EE", nil), ("ZZ", nil), ("us", "invalid.country"), ("Us", "invalid.country"), ("USA", "invalid.country"),
        ("U", "invalid.country"), ("", "invalid.country"), ("U1", "invalid.country"), (" US", "invalid.country"), ("ÜS", "invalid.country"),
    ]

    @Test(arguments: countryCases)
    func country(input: String, code: String?) {
        #expect(issueCodes(IsCountry, .string(input)) == expected(code))
    }

    static let currencyCases: [(String, String?)] = [
        ("USD", nil), ("EUR", nil), ("usd", "invalid.currency"), ("US", "invalid.currency"), ("USDT", "invalid.currency"),
        ("", "invalid.currency"), ("U$D", "invalid.currency"), ("USD ", "invalid.currency"),
    ]

    @Test(arguments: currencyCases)
    func currency(input: String, code: String?) {
        #expect(issueCodes(IsCurrency, .string(input)) == expected(code))
    }

    static let localeCases: [(String, String?)] = [
        ("en", nil), ("en-US", nil), ("et-EE", nil), ("EN", "invalid.locale"), ("en-us", "invalid.locale"), ("en_US", "invalid.locale"),
        ("eng", "invalid.locale"), ("en-USA", "invalid.locale"), ("en-", "invalid.locale"), ("e", "invalid.locale"), ("", "invalid.locale"),
        ("zh-Hans", "invalid.locale"), ("en-U1", "invalid.locale"),
    ]

    @Test(arguments: localeCases)
    func locale(input: String, code: String?) {
        #expect(issueCodes(IsLocale, .string(input)) == expected(code))
    }

    static let languageCases: [(String, String?)] = [
        ("en", nil), ("de", nil), ("et", nil), ("zh", nil), ("EN", "invalid.language"), ("En", "invalid.language"),
        ("eN", "invalid.language"), ("eng", "invalid.language"), ("e", "invalid.language"), ("e1", "invalid.language"),
        ("12", "invalid.language"), ("e-", "invalid.language"), ("e n", "invalid.language"), (" en", "invalid.language"),
        ("en ", "invalid.language"), ("", "invalid.language"), ("en-US", "invalid.language"), ("en,de", "invalid.language"),
    ]

    @Test(arguments: languageCases)
    func language(input: String, code: String?) {
        #expect(issueCodes(IsLanguage, .string(input)) == expected(code))
    }

    static let languageCoercionCases: [(JSONValue, String?)] = [
        ("en", "en"), ("de", "de"), ("en-US", "en"), ("de-DE", "de"), ("zh-CN", "zh"), ("pt-BR", "pt"), ("en,de", "en"),
        ("en,de,fr", "en"), ("en-US,de-DE", "en"), ("EN", "en"), ("EN-US", "en"), ("En", "en"), ("eN-uS", "en"),
        ("de;q=0.9", nil), ("*", nil), ("", nil), ("   ", nil), ("eng", nil), ("-en", nil), (",en", nil), (12, nil), (true, nil),
    ]

    @Test(arguments: languageCoercionCases)
    func languageCoercion(input: JSONValue, result: String?) {
        switch IsLanguage.safeParse(input, coerce: true) {
        case .success(let code):
            #expect(code.rawValue == result)
        case .failure(let issues):
            #expect(result == nil)
            #expect(issues.issues.map(\.code) == ["invalid.language"])
        }
    }

    // MARK: IsLatitude, IsLongitude, IsPercentage

    enum Coordinate: String, Sendable, CaseIterable {
        case latitude, longitude, percentage

        func codes(_ value: JSONValue, coerce: Bool = false) -> [String] {
            switch self {
            case .latitude: issueCodes(IsLatitude, value, coerce: coerce)
            case .longitude: issueCodes(IsLongitude, value, coerce: coerce)
            case .percentage: issueCodes(IsPercentage, value, coerce: coerce)
            }
        }
    }

    static let coordinateCases: [(Coordinate, JSONValue, [String])] = [
        (.latitude, 0, []), (.latitude, 90, []), (.latitude, -90, []), (.latitude, 59.437, []),
        (.latitude, 90.0001, ["invalid.number.range"]), (.latitude, -91, ["invalid.number.range"]), (.latitude, "45", ["invalid.number.type"]),
        (.longitude, 180, []), (.longitude, -180, []), (.longitude, 24.754, []), (.longitude, -180.5, ["invalid.number.range"]),
        (.longitude, 181, ["invalid.number.range"]), (.longitude, .null, ["required"]),
        (.percentage, 0, []), (.percentage, 100, []), (.percentage, 50.5, []), (.percentage, 101, ["invalid.number.range"]),
        (.percentage, -0.1, ["invalid.number.range"]), (.percentage, [], ["invalid.number.type"]),
    ]

    @Test(arguments: coordinateCases)
    func coordinates(schema: Coordinate, input: JSONValue, codes: [String]) {
        #expect(schema.codes(input) == codes)
    }

    @Test func coordinatesCoerceStrings() throws {
        #expect(try IsLatitude.parse("45.5", coerce: true) == Latitude(45.5))
        #expect(issueCodes(IsPercentage, "150", coerce: true) == ["invalid.number.range"])
    }

    // MARK: IsBearerToken

    static let bearerCases: [(String, String?)] = [
        ("Bearer abc", nil), ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.signature", nil), ("Bearer  ", nil), ("Bearer é", nil),
        ("", "invalid.string.nonEmpty"), ("Bearer ", "invalid.bearer.format"), ("Bearer", "invalid.bearer.format"),
        ("bearer abc", "invalid.bearer.format"), ("BEARER abc", "invalid.bearer.format"), ("Basic dXNlcjpwYXNz", "invalid.bearer.format"),
        ("Bearerabc", "invalid.bearer.format"), (" Bearer abc", "invalid.bearer.format"),
    ]

    @Test(arguments: bearerCases)
    func bearerToken(input: String, code: String?) {
        #expect(issueCodes(IsBearerToken, .string(input)) == expected(code))
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
