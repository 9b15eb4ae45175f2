public import GrestSchema

/// One place a caller can reach on a server, as the permission strict-mode check sees it: an HTTP route,
/// a WebSocket client-to-server method, or a WebSocket `connectPermission`.
public struct PermissionSurface: Sendable, Hashable {
    /// What kind of entry point this is.
    public enum Kind: String, Sendable, Hashable {
        case httpRoute = "http"
        case webSocketMethod = "ws"
        case webSocketConnect = "ws-connect"
    }

    /// The contract name (`ItemsApi`).
    public let api: String
    /// The method name (`get`), or `connect` for a connect permission.
    public let method: String
    public let kind: Kind
    /// The declared permission; `nil` when none is declared.
    public let permission: Permission?
    /// Whether a scope resolver is wired for this surface.
    public let hasResolver: Bool

    public init(api: String, method: String, kind: Kind, permission: Permission?, hasResolver: Bool) {
        self.api = api
        self.method = method
        self.kind = kind
        self.permission = permission
        self.hasResolver = hasResolver
    }

    /// `Api.method`, as messages name it.
    public var qualifiedName: String { api + "." + method }
}
