/// One validation problem: where it is, what rule it broke, and a readable message.
///
/// The offending value is kept for diagnostics but never serialised: issue JSON on the wire carries
/// `path`, `code`, `message` and `params` only, so passwords and tokens cannot leak through errors.
public struct Issue: Sendable, Hashable, CustomStringConvertible {
    /// Dotted path of the value (`order.items.1.id`); `""` for the root.
    public var path: String
    /// Wire code, e.g. `required` or `invalid.string.minLength`.
    public var code: String
    /// The message, built from the key's template and `params`.
    public var message: String
    /// Template parameters (`{"min": 3}`).
    public var params: JSONObject
    /// The offending value, for local debugging only. Never written to JSON.
    public var value: JSONValue?

    public init(path: String, code: String, message: String, params: JSONObject = [:], value: JSONValue? = nil) {
        self.path = path
        self.code = code
        self.message = message
        self.params = params
        self.value = value
    }

    public var description: String {
        path.isEmpty ? "\(code): \(message)" : "\(path): \(code): \(message)"
    }

    /// The wire form: `{"path":…,"code":…,"message":…,"params"?:{…}}` (no `value`), localised by ``IssueKey/localizer`` if one is set.
    public var json: JSONValue {
        var issue = self
        if let localizer = IssueKey.localizer { localizer(&issue) }
        var object = JSONObject(minimumCapacity: 4)
        object.append("path", .string(issue.path))
        object.append("code", .string(issue.code))
        object.append("message", .string(issue.message))
        if !issue.params.isEmpty { object.append("params", .object(issue.params)) }
        return .object(object)
    }
}

/// The issues found by one parse; thrown by ``Schema/parse(_:coerce:)``.
public struct IssueList: Error, Sendable, Hashable, CustomStringConvertible, RandomAccessCollection {
    public var issues: [Issue]

    public init(_ issues: [Issue]) { self.issues = issues }

    public var startIndex: Int { issues.startIndex }
    public var endIndex: Int { issues.endIndex }
    public subscript(position: Int) -> Issue { issues[position] }

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }

    /// The wire form: an array of issue objects.
    public var json: JSONValue { .array(issues.map(\.json)) }

    /// Reads issues back from their wire form (the `data` of a `VALIDATION_ERROR`).
    public init?(json: JSONValue) {
        guard case .array(let items) = json else { return nil }
        var issues: [Issue] = []
        issues.reserveCapacity(items.count)
        for item in items {
            guard case .object(let object) = item, let code = object["code"]?.stringValue else { return nil }
            issues.append(
                Issue(
                    path: object["path"]?.stringValue ?? "",
                    code: code,
                    message: object["message"]?.stringValue ?? "",
                    params: object["params"]?.objectValue ?? [:]
                )
            )
        }
        self.issues = issues
    }
}
