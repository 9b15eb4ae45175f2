public import GrestContext
public import GrestHTTP
import GrestSchema
public import Tagged

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

/// The seed README's `BearerAuthMiddleware` (GrestHTTP ships it): one value, two transports. On an HTTP schema it
/// runs per request; on a socket schema once, at the handshake (the token travels in the `h` frame, never in the
/// upgrade URL).
extension BearerAuthMiddleware where User == AuthUser {
    /// Demo users: the token is the user name. A real service verifies a signed token here.
    public static var users: [String: AuthUser] {
        [
            "alice": AuthUser(id: "alice", scopes: ["chat:read", "chat:write"]),
            "bob": AuthUser(id: "bob", scopes: ["chat:read", "chat:write"]),
            "guest": AuthUser(id: "guest", scopes: ["chat:read"]),
        ]
    }

    /// The chat's auth: `getToken` is the client side (asked before every HTTP request and socket handshake).
    public init(getToken: @escaping @Sendable () -> String?) {
        self.init(userKey: authUserKey, getToken: getToken, verify: { Self.users[$0] })
    }

    /// Server side: the middleware the schemas carry (it reads tokens, it never writes them).
    public static var shared: Self { Self(getToken: { nil }) }

    /// Scopes for the permission gate, from what `process()` put in the context; `nil` = anonymous.
    public static var scopes: ScopeResolver { { authUserKey.get()?.scopes } }
}
