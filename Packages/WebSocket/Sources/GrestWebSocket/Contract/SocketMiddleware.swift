import GrestSchema

/// Handshake middleware (grest-ts `GGWebSocketMiddleware`): runs once per connection, not per message.
///
/// Every hook is optional. Throwing from a server-side hook refuses the connection with `x` + close 4001.
public protocol SocketMiddleware: Sendable {
    /// Client side: add headers to the `h` frame (runs on every connect and reconnect attempt).
    func updateHandshake(_ headers: inout [String: String]) async throws
    /// Server side: read the handshake (parse credentials into the connection's context).
    func parseHandshake(_ handshake: SocketHandshakeRequest) async throws
    /// Server side: asynchronous checks after every middleware has parsed (verify tokens, load users).
    func process() async throws
    /// Server side: the scopes this middleware grants, or `nil` when it establishes no identity.
    /// Resolved once at handshake and cached for the connection.
    func permissions() async throws -> Set<String>?
}

extension SocketMiddleware {
    public func updateHandshake(_ headers: inout [String: String]) async throws {}
    public func parseHandshake(_ handshake: SocketHandshakeRequest) async throws {}
    public func process() async throws {}
    public func permissions() async throws -> Set<String>? { nil }
}

/// What the server knows at handshake time.
public struct SocketHandshakeRequest: Sendable, Equatable {
    /// The `h` payload's string members; an in-band `cookie` key is removed so it cannot be spoofed.
    public var headers: [String: String]
    /// The real `Cookie` header of the HTTP upgrade.
    public var cookie: String?
    /// The raw query of the upgrade URL.
    public var query: [String: String]

    public init(headers: [String: String], cookie: String? = nil, query: [String: String] = [:]) {
        self.headers = headers
        self.cookie = cookie
        self.query = query
    }
}

/// Runs a middleware chain the way the server handshake needs it.
public enum SocketMiddlewareChain {
    /// Every `parseHandshake` in order, then every `process`, then the union of `permissions()`.
    /// Returns the scopes (`nil` = no identity) or the refusal as a ``ServiceError``.
    public static func runServerSide(_ middlewares: [any SocketMiddleware], _ request: SocketHandshakeRequest) async -> Result<
        Set<String>?, ServiceError
    > {
        do {
            for middleware in middlewares { try await middleware.parseHandshake(request) }
            for middleware in middlewares { try await middleware.process() }
            var scopes: Set<String>?
            for middleware in middlewares {
                if let granted = try await middleware.permissions() { scopes = (scopes ?? []).union(granted) }
            }
            return .success(scopes)
        } catch {
            return .failure(ServiceError.fromUnknown(error))
        }
    }

    /// Every `updateHandshake` in order, starting from no headers (`h:::{}` without middleware).
    public static func handshakeHeaders(_ middlewares: [any SocketMiddleware]) async throws -> [String: String] {
        var headers: [String: String] = [:]
        for middleware in middlewares { try await middleware.updateHandshake(&headers) }
        return headers
    }
}
