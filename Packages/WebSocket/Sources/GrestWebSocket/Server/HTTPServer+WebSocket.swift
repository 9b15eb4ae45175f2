public import GrestHTTP
public import GrestWebSocketTransport
import NIOCore
import Synchronization
public import NIOHTTP1

extension HTTPServer {
    /// Serves WebSocket connections on `path` through this server's upgrade dispatcher (exact path, or a
    /// `/prefix/*` pattern); `handler` runs once per connection, and the connection closes when
    /// it returns. Each handler is a child task of the server's task tree (``HTTPServer/addHostedTask(_:)``).
    /// When the server shuts down, every open connection gets a **1001 Going Away** close and the server waits
    /// (within its `shutdownTimeout`) for each close handshake before it closes what is left, then for the handlers
    /// to return (cancelling them at the deadline).
    ///
    /// ```swift
    /// var configuration = WebSocketConfiguration()
    /// configuration.compression = PerMessageDeflate()          // WebSocketCompression
    /// try server.registerWebSocket(path: "/ws/echo", configuration: configuration) { connection in
    ///     for await message in connection.inbound { try? await connection.send(message) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - handlerExecutor: where `handler` runs (see `WebSocketHandlerExecutor`): the global executor
    ///     (default), or the connection's event loop, which saves a thread crossing each way per message but stalls
    ///     every connection on that loop while a handler computes or blocks.
    ///   - shouldAccept: routing or authorisation on the upgrade request; `false` refuses it with 400.
    /// - Throws: when `path` is already registered on this server.
    public func registerWebSocket(
        path: String,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        handlerExecutor: WebSocketHandlerExecutor = .globalConcurrent,
        shouldAccept: @escaping @Sendable (HTTPRequestHead) -> Bool = { _ in true },
        handler: @escaping @Sendable (WebSocketConnection) async -> Void
    ) throws {
        let hosted = HostedConnections()
        let route = HTTPUpgradeRoute(
            upgradeProtocol: "websocket",
            shouldUpgrade: { channel, head in
                guard shouldAccept(head), let negotiation = try? WebSocketServerUpgrade.negotiate(head, configuration: configuration) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // GrestHTTP writes Upgrade and Connection; the rest of the 101 (Sec-WebSocket-Accept, extensions) is ours.
                var extra = HTTPHeaders()
                for (name, value) in negotiation.responseHeaders where !["upgrade", "connection"].contains(name.lowercased()) {
                    extra.add(name: name, value: value)
                }
                return channel.eventLoop.makeSucceededFuture(extra)
            },
            upgrade: { [weak self] channel, head in
                // Negotiation is a pure function of the request, so it gives the same answer as in shouldUpgrade.
                guard let server = self, let negotiation = try? WebSocketServerUpgrade.negotiate(head, configuration: configuration) else {
                    return channel.close()
                }
                return WebSocketServerUpgrade.configure(
                    channel: channel, request: head, negotiation: negotiation, configuration: configuration, addFrameCodec: true
                ).map { connection in
                    // Tracked before it is hosted: a socket the tree takes was added before shutdown began, so the
                    // shutdown hook's 1001s include it.
                    let id = hosted.insert(connection)
                    // A child of the server's task tree: shutdown cancels it at its deadline and waits for it. The tree
                    // refuses a task added after shutdown has begun (before the hooks run): such an upgrade goes away.
                    let isHosted = server.addHostedTask {
                        switch handlerExecutor {
                        case .globalConcurrent:
                            await handler(connection)
                        case .eventLoop:
                            await withTaskExecutorPreference(connection.eventLoopExecutor) { await handler(connection) }
                        }
                        _ = try? await connection.close()
                        hosted.remove(id)
                    }
                    if !isHosted { hosted.refuse(id, connection) }
                }
            }
        )
        try registerUpgrade(path: path, route)
        addShutdownHook { await hosted.goAway() }
    }
}

/// The open connections of one WebSocket route, told to go away when the server shuts down.
///
/// Whether the server is stopping is the task tree's answer (a call of ``HTTPServer/addHostedTask(_:)`` that starts
/// after shutdown has begun, before the shutdown hook runs ``goAway()``, returns `false`), so no flag is kept here.
final class HostedConnections: Sendable {
    static let reason = "server shutting down"
    private let state = Mutex<(next: Int, open: [Int: WebSocketConnection])>((0, [:]))

    /// Tracks `connection` until ``remove(_:)``.
    func insert(_ connection: WebSocketConnection) -> Int {
        state.withLock { state in
            state.next += 1
            state.open[state.next] = connection
            return state.next
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.open.removeValue(forKey: id) }
    }

    /// Stops tracking a connection the server would not host (it is shutting down) and sends it the 1001 the others get.
    func refuse(_ id: Int, _ connection: WebSocketConnection) {
        remove(id)
        connection.startClose(code: .goingAway, reason: Self.reason)
    }

    /// Sends every open connection a 1001 close and waits until each has closed (the peer answered, the close
    /// timeout passed, or the server closed it at its shutdown deadline).
    func goAway() async {
        let open = state.withLock { Array($0.open.values) }
        for connection in open { connection.startClose(code: .goingAway, reason: Self.reason) }
        for connection in open { _ = await connection.closeInfo }
    }
}
