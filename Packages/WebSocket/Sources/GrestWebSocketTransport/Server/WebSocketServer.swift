public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOWebSocket
public import ServiceLifecycle

/// A minimal standalone WebSocket server: HTTP/1.1 upgrade on every path, one handler call per connection.
///
/// Deliberately thin (it exists for `grest-ws-echo` and tests until GrestHTTP dispatches upgrades): it wires
/// ``WebSocketServerUpgrade/typedUpgrader(configuration:shouldUpgrade:)`` into NIO's HTTP pipeline and answers
/// anything else with 426 or 400. Runs as a swift-service-lifecycle `Service`; graceful shutdown stops accepting
/// and closes open connections with 1001.
///
/// ```swift
/// let server = WebSocketServer(host: "127.0.0.1", port: 8080) { connection in
///     for await message in connection.inbound { try? await connection.send(message) }
/// }
/// try await server.run()
/// ```
public struct WebSocketServer: Service, Sendable {
    public typealias Handler = @Sendable (WebSocketConnection) async -> Void

    public var host: String
    public var port: Int
    public var configuration: WebSocketConfiguration
    /// Reports the bound address once listening (useful with port 0).
    public var onListening: @Sendable (SocketAddress) -> Void
    /// Where each connection's handler runs.
    public var handlerExecutor: WebSocketHandlerExecutor
    private let handler: Handler
    private let eventLoopGroup: any EventLoopGroup

    public init(
        host: String = "127.0.0.1",
        port: Int,
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        handlerExecutor: WebSocketHandlerExecutor = .globalConcurrent,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in },
        handler: @escaping Handler
    ) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.handlerExecutor = handlerExecutor
        self.onListening = onListening
        self.handler = handler
    }

    /// Where connection handlers run: the name of ``WebSocketHandlerExecutor`` in 0.2.
    @available(*, deprecated, renamed: "WebSocketHandlerExecutor")
    public typealias HandlerExecutor = WebSocketHandlerExecutor

    private enum UpgradeResult: Sendable {
        case websocket(WebSocketConnection)
        case notUpgraded
    }

    public func run() async throws {
        let configuration = self.configuration
        let serverChannel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: self.host, port: self.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrade = NIOTypedHTTPServerUpgradeConfiguration<UpgradeResult>(
                        upgraders: [
                            WebSocketServerUpgrade.typedUpgrader(configuration: configuration)
                                .mapUpgradeResult(UpgradeResult.websocket)
                        ],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(NotUpgradingResponder())
                                return UpgradeResult.notUpgraded
                            }
                        }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(upgradeConfiguration: upgrade)
                    )
                }
            }
        if let address = serverChannel.channel.localAddress { self.onListening(address) }

        let handler = self.handler
        let handlerExecutor = self.handlerExecutor
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await upgrade in inbound {
                        group.addTask {
                            guard case .websocket(let connection) = try? await upgrade.get() else { return }
                            await withGracefulShutdownHandler {
                                switch handlerExecutor {
                                case .globalConcurrent:
                                    await handler(connection)
                                case .eventLoop:
                                    await withTaskExecutorPreference(connection.eventLoopExecutor) { await handler(connection) }
                                }
                                // The handler is done with the connection: finish the close handshake.
                                _ = try? await connection.close()
                            } onGracefulShutdown: {
                                connection.startClose(code: .goingAway, reason: "server shutting down")
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            serverChannel.channel.close(promise: nil)
        }
    }
}

extension NIOTypedWebSocketServerUpgrader {
    /// Maps the upgrade result, so several protocols can share one result enum.
    fileprivate func mapUpgradeResult<Mapped: Sendable>(
        _ transform: @escaping @Sendable (UpgradeResult) -> Mapped
    ) -> some NIOTypedHTTPServerProtocolUpgrader<Mapped> {
        MappedUpgrader(base: self, transform: transform)
    }
}

private struct MappedUpgrader<Base: NIOTypedHTTPServerProtocolUpgrader, UpgradeResult: Sendable>: NIOTypedHTTPServerProtocolUpgrader {
    let base: Base
    let transform: @Sendable (Base.UpgradeResult) -> UpgradeResult

    var supportedProtocol: String { self.base.supportedProtocol }
    var requiredUpgradeHeaders: [String] { self.base.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        self.base.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        self.base.upgrade(channel: channel, upgradeRequest: upgradeRequest).map(self.transform)
    }
}

/// Answers requests that did not upgrade: 400 for a broken upgrade request, 426 for version mismatch and plain HTTP.
private final class NotUpgradingResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var status = HTTPResponseStatus.upgradeRequired

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            let isUpgradeAttempt = head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
            if isUpgradeAttempt, case .failure(let rejection) = Result(catching: { () throws(WebSocketServerUpgrade.Rejection) in
                _ = try WebSocketServerUpgrade.negotiate(head, configuration: WebSocketConfiguration())
            }) {
                self.status = rejection.status
            }
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Sec-WebSocket-Version", value: "13")
            headers.add(name: "Content-Length", value: "0")
            headers.add(name: "Connection", value: "close")
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: self.status, headers: headers))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade arrives here as NIOWebSocketUpgradeError before its request does; the request decides.
        if error is NIOWebSocketUpgradeError || error is WebSocketServerUpgrade.Rejection { return }
        context.close(promise: nil)
    }
}
