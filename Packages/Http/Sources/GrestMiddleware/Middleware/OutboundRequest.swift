public import NIOHTTP1

/// A request a client is about to send, as middleware sees it (``TransportMiddleware/updateRequest(_:)``).
public struct OutboundRequest: Sendable {
    /// `http` for a call, `webSocket` for a handshake.
    public let transport: TransportKind
    /// `GET`, `POST`, …
    public let method: String
    /// The path and query being requested.
    public let target: String
    /// The headers to send; middleware adds to them.
    public var headers: HTTPHeaders

    public init(transport: TransportKind, method: String, target: String, headers: HTTPHeaders = [:]) {
        self.transport = transport
        self.method = method
        self.target = target
        self.headers = headers
    }
}
