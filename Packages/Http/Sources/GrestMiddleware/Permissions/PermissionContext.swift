public import GrestContext
public import GrestSchema

/// The caller's scopes in the context (grest-ts `GG_PERMISSIONS`): set on every request when a resolver is
/// wired and resolved an identity, public routes included, for finer checks inside handlers.
///
/// ```swift
/// if PermissionContext.checker.get()?.has("items:admin") == true { … }
/// ```
public enum PermissionContext {
    public static let checker = ContextKey<PermissionChecker>("permissions", description: "The caller's resolved scopes")
}
