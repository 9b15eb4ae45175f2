public import GrestContext
import GrestSchema
import NIOHTTP1

/// `Authorization: Bearer <token>` auth for HTTP requests and WebSocket handshakes alike: the seed README's
/// `BearerAuthMiddleware` ("one class, two transports"), shipped so apps do not each write it again.
///
/// - Client side, ``updateRequest(_:)`` asks ``getToken`` before every request (and every socket handshake, where
///   the header travels in the `h` frame, never in the upgrade URL) and sets the header when there is a token.
/// - Server side, ``parse(_:)`` takes the token from the header into the context, ``process()`` verifies it and puts
///   the user under ``userKey`` (an unknown token is `NOT_AUTHORIZED` "Invalid token"), and ``clear()`` removes the
///   raw token before any handler runs.
/// - A request without a bearer header stays anonymous (no user in the context): the permission gate decides, so
///   `.public` routes keep working. With `requiresToken: true` it is refused with `NOT_AUTHORIZED` instead.
///
/// ```swift
/// let authUser = ContextKey<User>("authUser")
/// let auth = BearerAuthMiddleware(userKey: authUser, getToken: { session.token }, verify: { try await users.verify($0) })
/// let scopes: ScopeResolver = { authUser.get()?.scopes }
/// server.register(ChatHTTPApi.schema.use(auth), permissionResolver: scopes) { ... }   // HTTP
/// server.register(ChatApi.schema.use(auth), permissionResolver: scopes) { socket in ... }   // WebSocket
/// ```
public struct BearerAuthMiddleware<User: Sendable>: TransportMiddleware {
    /// Where ``process()`` puts the verified user.
    public let userKey: ContextKey<User>
    /// Refuse requests that carry no bearer token (default: let them through anonymous).
    public var requiresToken: Bool
    /// Client side: the current token, asked before every request and handshake; `nil` sends none.
    public var getToken: @Sendable () async -> String?
    /// Server side: the user a token stands for, or `nil` when it is not valid. Thrown errors reject the request as
    /// they are.
    public var verify: @Sendable (String) async throws -> User?

    public init(
        userKey: ContextKey<User>,
        requiresToken: Bool = false,
        getToken: @escaping @Sendable () async -> String? = { nil },
        verify: @escaping @Sendable (String) async throws -> User?
    ) {
        self.userKey = userKey
        self.requiresToken = requiresToken
        self.getToken = getToken
        self.verify = verify
    }

    public var requestHeaders: [String] { ["authorization"] }

    public func updateRequest(_ request: inout OutboundRequest) async throws {
        if let token = await self.getToken() {
            request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)")
        }
    }

    public func parse(_ request: InboundRequest) throws {
        if let token = request.bearerToken, !token.isEmpty {
            try bearerTokenKey.set(token)
        } else if self.requiresToken {
            throw NOT_AUTHORIZED(displayMessage: "Missing bearer token")
        }
    }

    public func process() async throws {
        guard let token = bearerTokenKey.get() else { return }
        guard let user = try await self.verify(token) else { throw NOT_AUTHORIZED(displayMessage: "Invalid token") }
        try self.userKey.set(user)
    }

    public func clear() {
        try? bearerTokenKey.delete()
    }
}

/// The raw credential between `parse` and `clear` (never visible to handlers).
let bearerTokenKey = ContextKey<String>("grest.bearerToken", isMutable: true)
