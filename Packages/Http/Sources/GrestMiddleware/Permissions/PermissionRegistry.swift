import Synchronization
import GrestSchema

/// Every permission surface of one server, HTTP and WebSocket alike; checked by `start()` before the
/// server listens (grest-ts permission strict mode).
///
/// Strict mode is **infectious** and order-free: one declared permission or one wired resolver anywhere on
/// the server makes every surface declare a permission. The WebSocket package adds its surfaces here:
///
/// ```swift
/// server.permissions.add(PermissionSurface(api: "ChatApi", method: "send", kind: .webSocketMethod,
///                                          permission: method.permission, hasResolver: resolver != nil))
/// ```
public final class PermissionRegistry: Sendable {
    private let surfaces = Mutex<[PermissionSurface]>([])

    package init() {}

    /// Records `surface` for the start check.
    public func add(_ surface: PermissionSurface) {
        surfaces.withLock { $0.append(surface) }
    }

    /// The surfaces recorded so far.
    public var all: [PermissionSurface] {
        surfaces.withLock { $0 }
    }

    /// Whether strict mode is on: a surface declares a permission or has a resolver.
    public var isStrict: Bool {
        PermissionCoverageCheck(surfaces: all).isStrict
    }

    /// Runs the strict-mode check.
    /// - Throws: ``PermissionCoverageError`` listing every offending `Api.method` and the fix.
    public func check() throws(PermissionCoverageError) {
        try PermissionCoverageCheck(surfaces: all).run()
    }
}

/// The strict-mode rules over a list of surfaces, as a value (testable without a server).
public struct PermissionCoverageCheck: Sendable {
    public let surfaces: [PermissionSurface]

    public init(surfaces: [PermissionSurface]) { self.surfaces = surfaces }

    /// One declared permission or one resolver anywhere turns strict mode on.
    public var isStrict: Bool {
        surfaces.contains { $0.permission != nil || $0.hasResolver }
    }

    /// Surfaces without a declared permission (only an offence in strict mode).
    public var undeclared: [PermissionSurface] {
        isStrict ? surfaces.filter { $0.permission == nil } : []
    }

    /// Non-public surfaces without a resolver: nobody could ever pass their gate.
    public var unresolved: [PermissionSurface] {
        surfaces.filter { surface in
            guard let permission = surface.permission else { return false }
            return !permission.isPublic && !surface.hasResolver
        }
    }

    public func run() throws(PermissionCoverageError) {
        let undeclared = self.undeclared
        let unresolved = self.unresolved
        if !undeclared.isEmpty || !unresolved.isEmpty {
            throw PermissionCoverageError(undeclared: undeclared, unresolved: unresolved)
        }
    }
}

/// Why a server refused to start: surfaces that break permission strict mode.
public struct PermissionCoverageError: Error, Sendable, CustomStringConvertible {
    /// Surfaces with no `permission` while strict mode is on.
    public let undeclared: [PermissionSurface]
    /// Non-public surfaces registered without a scope resolver.
    public let unresolved: [PermissionSurface]

    public var description: String {
        var sections: [String] = []
        if !undeclared.isEmpty {
            sections.append(
                """
                startup:check: permission strict mode is active on this server (a route or socket declares a permission \
                or has a scope resolver), so every route must declare one, but the following routes have no `permission` declared:
                \(undeclared.map { "  " + $0.qualifiedName }.joined(separator: "\n"))
                Declare a permission on each of them in the contract; use `permission: .public` (grest-ts GG_NO_PERMISSIONS) \
                for intentionally public ones.
                """)
        }
        if !unresolved.isEmpty {
            sections.append(
                """
                startup:check: the following routes require a permission but were registered without a scope resolver:
                \(unresolved.map { "  \($0.qualifiedName)   requires \($0.permission!)" }.joined(separator: "\n"))
                Wire one: `server.register(schema, permissionResolver: yourResolver) { … }` (grest-ts usePermissions).
                """)
        }
        return sections.joined(separator: "\n")
    }
}
