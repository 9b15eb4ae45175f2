/// What ``IsPassword(minLength:maxLength:strength:)`` demands beyond the length (grest-ts `PasswordStrength`).
public enum PasswordStrength: String, Sendable, Hashable, CaseIterable {
    /// The length only.
    case weak
    /// The length, an ASCII letter and a digit.
    case medium
    /// The length, an ASCII lowercase and uppercase letter, a digit and ASCII punctuation (`!@#$%^&*…`).
    case strong
}

/// Passwords of `minLength…maxLength` UTF-16 units meeting `strength` (grest-ts `IsPassword`).
///
/// A failure reports a single issue, the first of: `invalid.password.tooShort` `{min}`,
/// `invalid.password.tooLong` `{max}`, then for `.medium` `needsLetter`, `needsNumber`, and for `.strong`
/// `needsLowercase`, `needsUppercase`, `needsNumber`, `needsSpecial`. A non-string reports
/// `invalid.password.type`; coercion turns numbers (only) into strings.
///
/// ```swift
/// let IsSignup = IsObject(Signup.init, field("password", \.password, IsPassword(minLength: 12, strength: .strong)))
/// ```
public func IsPassword(minLength: Int = 8, maxLength: Int = 128, strength: PasswordStrength = .medium) -> Schema<String> {
    precondition(minLength <= maxLength, "Invalid password range: minLength \(minLength) > maxLength \(maxLength)")
    let policy = PasswordPolicy(minLength: minLength, maxLength: maxLength, strength: strength)
    return Schema<String>(
        description: SchemaDescription(.password(minLength: minLength, maxLength: maxLength)),
        parse: { value, context in
            guard let value = requirePresent(value, &context) else { return nil }
            let password: String
            switch value {
            case .string(let text):
                password = text
            case .number(let number) where context.coerce && !number.isNaN:
                // JavaScript `String(v)`, which gives "Infinity" where JSON has no spelling.
                password = number.isFinite ? JavaScriptNumber.format(number) : (number > 0 ? "Infinity" : "-Infinity")
            default:
                context.report(.passwordType, value: value)
                return nil
            }
            if let violation = policy.firstViolation(password) {
                context.report(violation.issue, params: violation.params, value: value)
                return nil
            }
            return password
        },
        write: { value, writer, context in
            if let violation = policy.firstViolation(value) { context.report(violation.issue, params: violation.params) }
            writer.writeString(value)
        },
        encode: { .string($0) }
    )
}

/// The grest-ts `checkPassword` rules.
struct PasswordPolicy: Sendable {
    let minLength: Int
    let maxLength: Int
    let strength: PasswordStrength

    /// The first rule `password` breaks, in grest-ts order, with the issue's params.
    func firstViolation(_ password: String) -> (issue: IssueKey, params: JSONObject)? {
        let length = JavaScriptString.length(password)
        if length < minLength { return (.passwordTooShort, ["min": .number(Double(minLength))]) }
        if length > maxLength { return (.passwordTooLong, ["max": .number(Double(maxLength))]) }
        if strength == .weak { return nil }
        let classes = CharacterClasses(password)
        switch strength {
        case .weak:
            return nil
        case .medium:
            if !classes.hasLetter { return (.passwordNeedsLetter, [:]) }
            if !classes.hasDigit { return (.passwordNeedsNumber, [:]) }
        case .strong:
            if !classes.hasLowercase { return (.passwordNeedsLowercase, [:]) }
            if !classes.hasUppercase { return (.passwordNeedsUppercase, [:]) }
            if !classes.hasDigit { return (.passwordNeedsNumber, [:]) }
            if !classes.hasSpecial { return (.passwordNeedsSpecial, [:]) }
        }
        return nil
    }

    /// Which of grest-ts's character-class regexes match somewhere in a password, from one pass over its bytes.
    struct CharacterClasses {
        /// `/[a-z]/`
        var hasLowercase = false
        /// `/[A-Z]/`
        var hasUppercase = false
        /// `/[0-9]/`
        var hasDigit = false
        /// `/[!@#$%^&*()_+\-=\[\]{};':"\\|,.<>\/?`~]/`: exactly the 32 ASCII punctuation characters.
        var hasSpecial = false
        /// `/[a-zA-Z]/`
        var hasLetter: Bool { hasLowercase || hasUppercase }

        init(_ password: String) {
            for byte in password.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): hasLowercase = true
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): hasUppercase = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"): hasDigit = true
                case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: hasSpecial = true
                default: break
                }
            }
        }
    }
}
