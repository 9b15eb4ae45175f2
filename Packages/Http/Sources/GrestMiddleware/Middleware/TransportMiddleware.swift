public import NIOHTTP1

/// Middleware shared by the HTTP and WebSocket transports: one type, two transports
/// (grest-ts `GGHttpTransportMiddleware` / `GGTransportMiddleware`).
///
/// - Client side, ``updateRequest(_:)`` adds headers to each outgoing request (each HTTP call, each
///   WebSocket handshake).
/// - Server side, for each request (or handshake): every middleware's ``parse(_:)`` runs first (headers,
///   query, cookies → context keys), then every ``process()``, then every ``clear()``. Throwing from
///   `parse` or `process` rejects the request with that error; `clear` always runs.
///
/// Every hook has a no-op default, so a type implements only what it needs. ``BearerAuthMiddleware`` is the shipped
/// example; a hand-written one looks like this:
///
/// ```swift
/// struct BearerAuth: TransportMiddleware {
///     var requestHeaders: [String] { ["authorization"] }
///     func updateRequest(_ request: inout OutboundRequest) async throws {
///         if let token = await tokens.current() { request.headers.replaceOrAdd(name: "authorization", value: "Bearer \(token)") }
///     }
///     func parse(_ request: InboundRequest) throws {
///         if let token = request.bearerToken { try authUser.set(verify(token)) }
///     }
/// }
/// ```
public protocol TransportMiddleware: Sendable {
    /// Request header names this middleware reads; they feed CORS `Access-Control-Allow-Headers`.
    var requestHeaders: [String] { get }
    /// Response header names this middleware writes; they feed CORS `Access-Control-Expose-Headers`.
    var responseHeaders: [String] { get }

    /// Client: edits an outgoing request (adds headers) just before it is sent.
    func updateRequest(_ request: inout OutboundRequest) async throws
    /// Server: reads the request (headers, query, cookies) into context keys.
    func parse(_ request: InboundRequest) throws
    /// Server: async work after every middleware has parsed (verify a token, load a user).
    func process() async throws
    /// Server: wipes what must not reach the handler (the raw credential), after every `process`.
    func clear()
    /// Server: adds response headers (HTTP only; not called for WebSocket handshakes).
    func updateResponse(_ headers: inout HTTPHeaders)
}

extension TransportMiddleware {
    public var requestHeaders: [String] { [] }
    public var responseHeaders: [String] { [] }
    public func updateRequest(_ request: inout OutboundRequest) async throws {}
    public func parse(_ request: InboundRequest) throws {}
    public func process() async throws {}
    public func clear() {}
    public func updateResponse(_ headers: inout HTTPHeaders) {}
}

/// Which transport a middleware hook runs for.
public enum TransportKind: String, Sendable, Hashable {
    case http
    case webSocket
}
