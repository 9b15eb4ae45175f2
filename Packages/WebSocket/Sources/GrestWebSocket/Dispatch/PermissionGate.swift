import GrestSchema

/// The connection's scopes, resolved once at handshake, and the check every gated message goes through.
///
/// `scopes == nil` means no identity: a non-public permission then fails with NOT_AUTHORIZED; an
/// identity that lacks the scope gets FORBIDDEN (research §3, "Permissions").
public struct PermissionGate: Sendable, Equatable {
    /// The cached scopes; `nil` when no middleware established an identity.
    public let scopes: Set<String>?

    public init(scopes: Set<String>?) {
        self.scopes = scopes
    }

    /// `nil` when `permission` is satisfied (or absent), else the refusal.
    public func check(_ permission: Permission?, route: String) -> ServiceError? {
        guard let permission, !permission.isPublic else { return nil }
        guard let scopes else {
            return NOT_AUTHORIZED(displayMessage: "Not authorized", debugMessage: "\(route) needs \(permission) and the connection has no identity")
        }
        guard permission.isSatisfied(by: scopes) else {
            return FORBIDDEN(displayMessage: "Forbidden", debugMessage: "\(route) needs \(permission)")
        }
        return nil
    }
}
