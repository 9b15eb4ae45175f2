/// Where a WebSocket server runs its connection handlers: ``WebSocketServer``'s, and the sockets an HTTP server hosts
/// (GrestWebSocket's `HTTPServer.registerWebSocket(path:configuration:handlerExecutor:shouldAccept:handler:)` and
/// `SocketServerConfiguration.handlerExecutor`).
public enum WebSocketHandlerExecutor: Sendable, Hashable {
    /// Swift's global concurrent executor: each message crosses from the event loop to a pool thread and back.
    case globalConcurrent
    /// The connection's event loop (``WebSocketConnection/eventLoopExecutor`` as task executor preference): no
    /// thread hop per message. For handlers that only await I/O; one that blocks stalls every connection on
    /// its loop.
    case eventLoop
}
