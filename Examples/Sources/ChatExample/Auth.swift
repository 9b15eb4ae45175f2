public import GrestContext
public import GrestHTTP
import GrestSchema
import Synchronization

/// Who is calling, set by ``BearerAuthMiddleware`` on HTTP requests and socket handshakes alike.
public struct AuthUser: Sendable, Equatable {
    public var id: UserId
    public var scopes: Set<String>

    public init(id: UserId, scopes: Set<String>) {
        self.id = id
        self.scopes = scopes
    }
}

public let authUserKey = ContextKey<AuthUser>("authUser", description: "The authenticated caller")
let bearerTokenKey = ContextKey<String>("bearerToken", isMutable: true)

/// The seed README's `BearerAuthMiddleware`: one type, two transports. On an HTTP schema it runs per request;
/// on a socket schema once, at the handshake (the token travels in the `h` frame, never in the upgrade URL).
public struct BearerAuthMiddleware: TransportMiddleware {
    /// Demo users: the token is the user name. A real service verifies a signed token here.
    public static let users: [String: AuthUser] = [
        "alice": AuthUser(id: "alice", scopes: ["chat:read", "chat:write"]),
        "bob": AuthUser(id: "bob", scopes: ["chat:read", "chat:write"]),
        "guest": AuthUser(id: "guest", scopes: ["chat:read"]),
    ]

    /// Server side: the middleware the schemas carry (it reads tokens, it never writes them).
    public static let shared = BearerAuthMiddleware(getToken: { nil })

    /// Client side: the current token, asked before every HTTP request and every socket handshake.
    public var getToken: @Sendable () -> String?

    public init(getToken: @escaping @Sendable () -> String?) {
        self.getToken = getToken
    }

    public var requestHeaders: [String] { ["authorization"] }

    public func updateRequest(_ request: inout OutboundRequest) async throws {
        if let token = getToken() { request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)") }
    }

    public func parse(_ request: InboundRequest) throws {
        if let token = request.bearerToken { try bearerTokenKey.set(token) }
    }

    public func process() async throws {
        guard let token = bearerTokenKey.get() else { return }
        guard let user = Self.users[token] else { throw NOT_AUTHORIZED(displayMessage: "Invalid token") }
        try authUserKey.set(user)
    }

    /// The raw credential never reaches handlers.
    public func clear() {
        try? bearerTokenKey.delete()
    }

    /// Scopes for the permission gate, from what `process()` put in the context; `nil` = anonymous.
    public static let scopes: ScopeResolver = { authUserKey.get()?.scopes }
}
