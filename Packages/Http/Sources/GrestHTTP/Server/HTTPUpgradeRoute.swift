import GrestMiddleware
public import NIOCore
public import NIOHTTP1

/// A protocol upgrade served on a path of an ``HTTPServer`` (registered with ``HTTPServer/registerUpgrade(path:_:)``).
/// GrestHTTP knows nothing of the protocol: it matches the path and the `Upgrade` token, asks the route, writes the
/// `101 Switching Protocols`, removes its HTTP handlers and hands the channel over. GrestWebSocket registers one
/// per socket path (RFC 6455 handshake, frame codec and extensions are its business).
public struct HTTPUpgradeRoute: Sendable {
    /// The `Upgrade` token this route answers (compared case-insensitively), e.g. `websocket`.
    public var upgradeProtocol: String
    /// On the channel's event loop: accept with the response headers the protocol needs beyond `Upgrade` and
    /// `Connection` (e.g. `Sec-WebSocket-Accept`), or refuse (`nil` → 400). Decide promptly: NIO's upgrade handler
    /// buffers whatever the client sends until the decision, and authentication belongs after the upgrade (the
    /// typed socket handshake), not here.
    public var shouldUpgrade: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>
    /// After the 101, with the HTTP handlers gone: install the protocol's handlers on the channel (codec included).
    public var upgrade: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>

    public init(
        upgradeProtocol: String,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        upgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>
    ) {
        self.upgradeProtocol = upgradeProtocol.lowercased()
        self.shouldUpgrade = shouldUpgrade
        self.upgrade = upgrade
    }
}

/// One NIO upgrader per `Upgrade` token, dispatching by path to the routes registered for it.
struct RoutedUpgrader: HTTPServerProtocolUpgrader, Sendable {
    let supportedProtocol: String
    /// Each route validates its own headers in `shouldUpgrade`.
    let requiredUpgradeHeaders: [String] = []
    let routes: UpgradePathTable<HTTPUpgradeRoute>

    /// Refused upgrades: reported to the pipeline by NIO's upgrade handler, after which the request continues as
    /// plain HTTP and ``HTTPConnectionHandler`` answers it (400 on an upgrade path, 404 elsewhere).
    struct Refused: Error {}

    private func route(for head: HTTPRequestHead) -> HTTPUpgradeRoute? {
        guard let route = routes.route(for: RequestTarget.split(head.uri).path), route.upgradeProtocol == supportedProtocol else { return nil }
        return route
    }

    func buildUpgradeResponse(channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders) -> EventLoopFuture<HTTPHeaders> {
        guard let route = route(for: upgradeRequest) else { return channel.eventLoop.makeFailedFuture(Refused()) }
        return route.shouldUpgrade(channel, upgradeRequest).flatMapThrowing { extra in
            guard let extra else { throw Refused() }
            var headers = initialResponseHeaders
            headers.add(contentsOf: extra)
            return headers
        }
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        guard let route = route(for: upgradeRequest) else { return context.eventLoop.makeFailedFuture(Refused()) }
        return route.upgrade(context.channel, upgradeRequest)
    }
}
