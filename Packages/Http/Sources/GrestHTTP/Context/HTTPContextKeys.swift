public import GrestContext

/// What the server knows about the request being handled (grest-ts `GG_HTTP_REQUEST`).
public struct HTTPRequestInfo: Sendable, Hashable {
    /// The server's local port.
    public let port: Int
    /// `GET`, `POST`, …
    public let method: String
    /// The request path, without the query.
    public let path: String

    public init(port: Int, method: String, path: String) {
        self.port = port
        self.method = method
        self.path = path
    }

    /// The context key holding the current request's info; readable anywhere in the handler's task tree.
    public static let key = ContextKey<HTTPRequestInfo>("httpRequest", description: "The HTTP request being handled")
    /// The request's reference (trace id): the caller's `x-request-id` when it is sane, else generated.
    /// Exported to log metadata as `ref`.
    public static let ref = ContextKey<String>("requestRef", description: "Request reference / trace id").exported(as: "ref")

    /// The current request's info, if any.
    public static var current: HTTPRequestInfo? { key.get() }
}
