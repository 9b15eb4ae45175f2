public import GrestHTTP
public import GrestWebSocketTransport
import NIOCore
public import NIOHTTP1

extension HTTPServer {
    /// Serves WebSocket connections on `path` through this server's upgrade dispatcher (exact path, or a
    /// `/prefix/*` pattern); `handler` runs once per connection, in its own task, and the connection closes when
    /// it returns.
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
    ///   - shouldAccept: routing or authorisation on the upgrade request; `false` refuses it with 400.
    /// - Throws: when `path` is already registered on this server.
    public func registerWebSocket(
        path: String,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        shouldAccept: @escaping @Sendable (HTTPRequestHead) -> Bool = { _ in true },
        handler: @escaping @Sendable (WebSocketConnection) async -> Void
    ) throws {
        let route = HTTPUpgradeRoute(
            maxFrameSize: configuration.maxFrameSize,
            shouldUpgrade: { channel, head in
                guard shouldAccept(head), let negotiation = try? WebSocketServerUpgrade.negotiate(head, configuration: configuration) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // NIO's upgrader writes Upgrade, Connection and Sec-WebSocket-Accept itself; add only the extensions.
                var extra = HTTPHeaders()
                for (name, value) in negotiation.responseHeaders where name.lowercased() == "sec-websocket-extensions" {
                    extra.add(name: name, value: value)
                }
                return channel.eventLoop.makeSucceededFuture(extra)
            },
            upgrade: { channel, head in
                // Negotiation is a pure function of the request, so it gives the same answer as in shouldUpgrade.
                guard let negotiation = try? WebSocketServerUpgrade.negotiate(head, configuration: configuration) else {
                    return channel.close()
                }
                return WebSocketServerUpgrade.configure(
                    channel: channel, request: head, negotiation: negotiation, configuration: configuration, addFrameCodec: false
                ).map { connection in
                    Task {
                        await handler(connection)
                        _ = try? await connection.close()
                    }
                }
            }
        )
        try registerUpgrade(path: path, route)
    }
}
