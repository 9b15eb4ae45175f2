/// What a caller must hold to use a method (grest-ts permission algebra).
///
/// ```swift
/// let p: Permission = .anyOf("chat:admin", .allOf("chat:read", "chat:write"))
/// p.isSatisfied(by: ["chat:read", "chat:write"])  // true
/// ```
public indirect enum Permission: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// Public: no identity needed (grest-ts `GG_NO_PERMISSIONS`).
    case `public`
    /// Any authenticated caller: at least one scope (grest-ts `GG_ANY_PERMISSION`).
    case any
    /// A single scope, e.g. `"items:read"`.
    case scope(String)
    /// Every child must be satisfied.
    case allOf([Permission])
    /// At least one child must be satisfied.
    case anyOf([Permission])

    /// The deepest allowed nesting of `allOf`/`anyOf`.
    public static let maximumDepth = 3

    public init(stringLiteral value: String) { self = .scope(value) }

    /// `allOf` with variadic children.
    public static func allOf(_ first: Permission, _ rest: Permission...) -> Permission { .allOf([first] + rest) }

    /// `anyOf` with variadic children.
    public static func anyOf(_ first: Permission, _ rest: Permission...) -> Permission { .anyOf([first] + rest) }

    /// Whether the permission needs no identity.
    public var isPublic: Bool { self == .public }

    /// Whether a caller holding `scopes` satisfies this permission (grest-ts `satisfies`).
    public func isSatisfied(by scopes: Set<String>) -> Bool {
        switch self {
        case .public: true
        case .any: !scopes.isEmpty
        case .scope(let scope): scopes.contains(scope)
        case .allOf(let children): children.allSatisfy { $0.isSatisfied(by: scopes) }
        case .anyOf(let children): children.contains { $0.isSatisfied(by: scopes) }
        }
    }

    /// The readable form used in messages: `allOf("a", anyOf("b", .any))`.
    public var description: String {
        switch self {
        case .public: ".public"
        case .any: ".any"
        case .scope(let scope): JSONValue.string(scope).jsonString
        case .allOf(let children): "allOf(" + children.map(\.description).joined(separator: ", ") + ")"
        case .anyOf(let children): "anyOf(" + children.map(\.description).joined(separator: ", ") + ")"
        }
    }

    /// Checks the tree: non-empty scopes, non-empty combinators, depth ≤ 3 (grest-ts `validatePermission`).
    /// - Parameter path: where the permission is declared, for messages (`ChatApi.send.permission`).
    public func validate(path: String = "") throws(PermissionError) {
        try validate(path: path, depth: 0)
    }

    private func validate(path: String, depth: Int) throws(PermissionError) {
        let shown = path.isEmpty ? "root" : path
        guard depth <= Permission.maximumDepth else {
            throw PermissionError("Permission tree too deep at \(shown): max depth is \(Permission.maximumDepth)")
        }
        switch self {
        case .public, .any:
            return
        case .scope(let scope):
            if scope.isEmpty { throw PermissionError("Permission scope at \(shown) must be a non-empty string") }
        case .allOf(let children), .anyOf(let children):
            let name = if case .allOf = self { "allOf" } else { "anyOf" }
            if children.isEmpty { throw PermissionError("Permission at \(path).\(name) must contain at least one entry") }
            for (index, child) in children.enumerated() {
                try child.validate(path: "\(path).\(name)[\(index)]", depth: depth + 1)
            }
        }
    }
}

/// A permission tree that breaks the rules of ``Permission/validate(path:)``.
public struct PermissionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The caller's scopes with a check for finer, resource-level decisions inside handlers
/// (grest-ts `GGPermissionChecker`).
public struct PermissionChecker: Sendable, Hashable {
    /// The scopes resolved for the caller.
    public let scopes: Set<String>

    public init(scopes: Set<String>) { self.scopes = scopes }

    /// Whether the caller satisfies `permission`.
    public func has(_ permission: Permission) -> Bool { permission.isSatisfied(by: scopes) }
}
