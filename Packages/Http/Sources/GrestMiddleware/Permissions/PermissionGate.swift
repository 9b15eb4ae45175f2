public import GrestSchema
import GrestContext

/// Resolves the caller's scopes for a request: `nil` = no identity (grest-ts `GGScopeResolver`).
/// It runs after middleware, so it reads what middleware put in the context.
public typealias ScopeResolver = @Sendable () async throws -> Set<String>?

/// The permission gate's decision for one call, as a value (grest-ts: gate before validation).
///
/// ```swift
/// switch PermissionGate.decide(permission: .scope("items:write"), resolution: .resolved(["items:read"]), name: "ItemsApi.create") {
/// case .allow: runHandler()
/// case .reject(let error): reply(error)   // FORBIDDEN
/// }
/// ```
public enum PermissionGate {
    /// What the resolver gave.
    public enum Resolution: Sendable {
        /// No resolver is wired for this surface.
        case noResolver
        /// The caller's scopes; `nil` = no identity.
        case resolved(Set<String>?)
        /// The resolver threw.
        case failed(any Error)
    }

    public enum Decision: Sendable {
        case allow
        case reject(ServiceError)
    }

    /// Decides whether a caller may reach a surface guarded by `permission`.
    /// - Parameter name: `Api.method`, for debug messages.
    public static func decide(permission: Permission?, resolution: Resolution, name: String) -> Decision {
        if case .failed(let error) = resolution {
            return .reject(SERVER_ERROR(debugMessage: "Scope resolver failed for \(name)", originalError: error))
        }
        guard let permission, !permission.isPublic else { return .allow }
        switch resolution {
        case .noResolver:
            // Fail closed: the start check should have refused this server; never let it through.
            return .reject(FORBIDDEN(debugMessage: "\(name) requires \(permission) but no scope resolver is wired"))
        case .resolved(nil):
            return .reject(NOT_AUTHORIZED(debugMessage: "\(name) requires \(permission) but no caller identity was resolved"))
        case .resolved(let scopes?):
            return permission.isSatisfied(by: scopes)
                ? .allow : .reject(FORBIDDEN(debugMessage: "\(name) requires \(permission)"))
        case .failed:
            return .allow  // handled above
        }
    }

    /// Runs `resolver` (if any) and stores the ``PermissionChecker`` in the context when scopes were resolved.
    /// Used by ``check(permission:resolver:name:)`` per HTTP request and by the WebSocket package once per handshake.
    public static func resolve(_ resolver: ScopeResolver?) async -> Resolution {
        guard let resolver else { return .noResolver }
        do {
            let scopes = try await resolver()
            if let scopes { try? PermissionContext.checker.set(PermissionChecker(scopes: scopes)) }
            return .resolved(scopes)
        } catch {
            return .failed(error)
        }
    }

    /// Runs `resolver` (if any) through ``resolve(_:)`` and decides.
    public static func check(permission: Permission?, resolver: ScopeResolver?, name: String) async -> Decision {
        decide(permission: permission, resolution: await resolve(resolver), name: name)
    }
}
