public import GrestContext

/// The socket a handler runs for (grest-ts `GG_WS_CONNECTION`): set in every connection's context.
///
/// On a server `port` is the local port and `path` the socket path; on a client `port` is `nil` and `path`
/// is the URL the client dialled.
public struct SocketConnectionInfo: Sendable, Hashable {
    public let port: Int?
    public let path: String

    public init(port: Int?, path: String) {
        self.port = port
        self.path = path
    }

    public static let key = ContextKey<SocketConnectionInfo>("ws-connection", description: "The WebSocket connection being served")

    /// The current connection's info, if any.
    public static var current: SocketConnectionInfo? { key.get() }
}

/// The message a handler runs for (grest-ts `GG_WS_MESSAGE`): set for every inbound `r` and `m`.
public struct SocketMessageInfo: Sendable, Hashable {
    /// The frame PATH, e.g. `ChatApi.sendMessage`.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static let key = ContextKey<SocketMessageInfo>("ws-message", description: "The WebSocket message being handled")

    /// The current message's info, if any.
    public static var current: SocketMessageInfo? { key.get() }
}
