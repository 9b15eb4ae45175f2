import Synchronization

/// A registered issue code with its message template (grest-ts `GGIssueKey`).
///
/// Templates use `{name}` placeholders filled from the issue's params; unknown placeholders are left as
/// they are. Every key is listed by ``IssueKey/registry``, so translators can see every code.
public struct IssueKey: Sendable, Hashable {
    public let code: String
    public let template: String
    /// What each template parameter means, for translators.
    public let parameters: [String: String]

    /// Errors from defining issue keys.
    public enum DefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
        case duplicateCode(String)

        public var description: String {
            switch self {
            case .duplicateCode(let code): "Validation error code '\(code)' is already registered"
            }
        }
    }

    private init(uncheckedCode code: String, template: String, parameters: [String: String]) {
        self.code = code
        self.template = template
        self.parameters = parameters
    }

    /// Defines and registers a new key; a code that is already registered throws.
    public static func define(_ code: String, _ template: String, parameters: [String: String] = [:]) throws(DefinitionError) -> IssueKey {
        let key = IssueKey(uncheckedCode: code, template: template, parameters: parameters)
        let inserted = registryStorage.withLock { storage in
            if storage[code] != nil { return false }
            storage[code] = key
            return true
        }
        guard inserted else { throw .duplicateCode(code) }
        return key
    }

    /// Defines an `invalid.`-prefixed key (grest-ts `GGIssueInvalid`).
    public static func defineInvalid(_ code: String, _ template: String, parameters: [String: String] = [:]) throws(DefinitionError) -> IssueKey {
        try define("invalid." + code, template, parameters: parameters)
    }

    /// A built-in key; registered when ``registry`` is first read.
    static func builtIn(_ code: String, _ template: String, _ parameters: [String: String] = [:]) -> IssueKey {
        IssueKey(uncheckedCode: code, template: template, parameters: parameters)
    }

    /// Renders the template with `params`.
    public func message(_ params: JSONObject) -> String {
        IssueKey.render(template, params)
    }

    /// grest-ts `message.replace(/\{(\w+)\}/g, (_, key) => String(params[key] ?? `{${key}}`))`: only word
    /// characters between the braces form a placeholder, and a missing or `null` param leaves it as it is.
    static func render(_ template: String, _ params: JSONObject) -> String {
        guard template.utf8.contains(UInt8(ascii: "{")), !params.isEmpty else { return template }
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(where: { !isWordCharacter($0) }), rest[close] == "}", close > afterOpen else {
                // Not a placeholder: keep the brace and scan on from the next character.
                result += "{"
                rest = rest[afterOpen...]
                continue
            }
            if let value = params[String(rest[afterOpen..<close])], !value.isNull {
                result += IssueKey.display(value)
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    /// `\w`: ASCII letters, digits and `_`.
    private static func isWordCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return ascii == UInt8(ascii: "_") || (ascii >= UInt8(ascii: "0") && ascii <= UInt8(ascii: "9"))
            || (ascii | 0x20 >= UInt8(ascii: "a") && ascii | 0x20 <= UInt8(ascii: "z"))
    }

    /// How a parameter value reads inside a message (JavaScript `String(value)`): strings bare, numbers as
    /// JavaScript prints them, arrays joined with `,`.
    static func display(_ value: JSONValue) -> String {
        switch value {
        case .string(let string): return string
        case .array(let items): return items.map(display).joined(separator: ",")
        default: return value.jsonString
        }
    }

    // MARK: Registry

    private static let registryStorage: Mutex<[String: IssueKey]> = Mutex(
        Dictionary(uniqueKeysWithValues: IssueKey.allBuiltIn.map { ($0.code, $0) })
    )

    /// Every registered key, sorted by code (grest-ts `GGIssueRegistry`).
    public static var registry: [IssueKey] {
        registryStorage.withLock { Array($0.values) }.sorted { $0.code < $1.code }
    }

    /// The registered key for `code`, if any.
    public static func lookup(_ code: String) -> IssueKey? {
        registryStorage.withLock { $0[code] }
    }

    /// The registry as JSON, `{code: {template, params}}`, for translators.
    public static var registryJSON: JSONValue {
        var object = JSONObject()
        for key in registry {
            var entry = JSONObject()
            entry.append("template", .string(key.template))
            var params = JSONObject()
            for (name, meaning) in key.parameters.sorted(by: { $0.key < $1.key }) { params.append(name, .string(meaning)) }
            entry.append("params", .object(params))
            object.append(key.code, .object(entry))
        }
        return .object(object)
    }

    // MARK: Localisation

    private static let localizerStorage: Mutex<(@Sendable (inout Issue) -> Void)?> = Mutex(nil)

    /// A hook that rewrites each issue (message, usually) before it is serialised, e.g. per request locale.
    public static var localizer: (@Sendable (inout Issue) -> Void)? {
        get { localizerStorage.withLock { $0 } }
        set { localizerStorage.withLock { $0 = newValue } }
    }
}
