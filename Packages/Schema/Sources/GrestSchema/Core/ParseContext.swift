/// The state of one parse: the coercion mode, the path being visited and the issues found so far.
///
/// Schemas push a path segment before visiting a child and pop it after; the dotted path string is only
/// built when an issue is reported, so a successful parse never formats paths.
public struct ParseContext: Sendable {
    /// Whether query-string style coercion is on (`"42"` → 42, `"true"` → true, defaults applied).
    public let coerce: Bool
    /// Whether issues are recorded; `false` for pure checks (`is`), which only need pass or fail.
    public let recordsIssues: Bool
    /// Whether this is an exact check (grest-ts `is`): input a `trim` schema would have to trim is rejected.
    var rejectsUntrimmed = false
    /// The issues found so far.
    public private(set) var issues: [Issue] = []
    @usableFromInline var segments: [Segment] = []

    @usableFromInline
    enum Segment: Sendable {
        case key(String)
        case index(Int)
        case recordKey(String)
    }

    public init(coerce: Bool = false, recordsIssues: Bool = true) {
        self.coerce = coerce
        self.recordsIssues = recordsIssues
    }

    /// The deepest nesting a recursive schema follows: JSONParser's default `maxDepth`. A deeper value (only
    /// possible when built in code) is reported instead of overflowing the stack.
    static let maxDepth = 512

    /// How deep the value being visited is nested (one level per object key or array index).
    var depth: Int { segments.count }

    /// The dotted path of the value being visited (`items.1.id`; `""` at the root).
    public var path: String {
        var result = ""
        for segment in segments {
            switch segment {
            case .key(let key):
                if !result.isEmpty { result += "." }
                result += key
            case .index(let index):
                if !result.isEmpty { result += "." }
                result += String(index)
            case .recordKey(let key):
                if !result.isEmpty { result += "." }
                result += key + "[key]"
            }
        }
        return result
    }

    /// Records `key` at the current path.
    public mutating func report(_ key: IssueKey, params: JSONObject = [:], value: JSONValue? = nil) {
        guard recordsIssues else {
            if issues.isEmpty { issues.append(Issue(path: "", code: key.code, message: "")) }
            return
        }
        issues.append(Issue(path: path, code: key.code, message: key.message(params), params: params, value: value))
    }

    /// Records an already built issue, re-rooted at the current path.
    public mutating func report(_ issue: Issue) {
        var issue = issue
        let base = path
        if !base.isEmpty { issue.path = issue.path.isEmpty ? base : base + "." + issue.path }
        issues.append(issue)
    }

    /// Whether any issue has been recorded.
    @inlinable public var hasIssues: Bool { !issues.isEmpty }

    /// The number of issues so far; compare before and after a child visit to see whether it failed.
    @inlinable public var issueCount: Int { issues.count }

    /// Drops issues recorded after `count` (a union discarding a failed variant's issues).
    public mutating func truncateIssues(to count: Int) {
        if issues.count > count { issues.removeSubrange(count...) }
    }

    @inlinable public mutating func push(key: String) { segments.append(.key(key)) }
    @inlinable public mutating func push(index: Int) { segments.append(.index(index)) }
    @inlinable mutating func push(recordKey: String) { segments.append(.recordKey(recordKey)) }
    @inlinable public mutating func pop() { segments.removeLast() }

    /// Runs `body` with `key` pushed on the path.
    @inlinable
    public mutating func visiting<R>(key: String, _ body: (inout ParseContext) -> R) -> R {
        segments.append(.key(key))
        defer { segments.removeLast() }
        return body(&self)
    }

    /// Runs `body` with `index` pushed on the path.
    @inlinable
    public mutating func visiting<R>(index: Int, _ body: (inout ParseContext) -> R) -> R {
        segments.append(.index(index))
        defer { segments.removeLast() }
        return body(&self)
    }

    /// A context for a nested trial parse (union variants) that shares mode and path but not issues.
    func trial() -> ParseContext {
        trial(coerce: coerce, rejectsUntrimmed: rejectsUntrimmed)
    }

    func trial(coerce: Bool, rejectsUntrimmed: Bool) -> ParseContext {
        var copy = ParseContext(coerce: coerce, recordsIssues: false)
        copy.rejectsUntrimmed = rejectsUntrimmed
        copy.segments = segments
        return copy
    }
}
