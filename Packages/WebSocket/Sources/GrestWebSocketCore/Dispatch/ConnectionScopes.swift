import GrestMiddleware
package import GrestSchema

/// The connection's scopes, resolved once at handshake, and the check every gated message goes through.
///
/// The decision itself is GrestMiddleware's ``PermissionGate``, so HTTP routes and socket messages refuse alike:
/// `scopes == nil` (no identity) gives NOT_AUTHORIZED for a non-public permission, missing scopes FORBIDDEN.
package struct ConnectionScopes: Sendable, Equatable {
    /// The cached scopes; `nil` when no middleware established an identity.
    package let scopes: Set<String>?

    package init(scopes: Set<String>?) {
        self.scopes = scopes
    }

    /// `nil` when `permission` is satisfied (or absent), else the refusal.
    package func check(_ permission: Permission?, route: String) -> ServiceError? {
        switch PermissionGate.decide(permission: permission, resolution: .resolved(scopes), name: route) {
        case .allow: nil
        case .reject(let error): error
        }
    }
}
