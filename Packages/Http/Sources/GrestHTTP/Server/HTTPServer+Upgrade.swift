import NIOCore
import NIOHTTP1
import NIOWebSocket

extension HTTPServer {
    /// Serves an upgrade (WebSocket) on `path`: an exact path, or `/base/*` for every path under `/base/`.
    /// Exact paths win, then the longest prefix. Requests to unregistered upgrade paths get 404.
    /// - Throws: ``HTTPServerError/duplicateUpgradePath(_:)`` for a path registered twice,
    ///   ``HTTPServerError/alreadyStarted`` after start.
    public func registerUpgrade(path: String, _ route: HTTPUpgradeRoute) throws(HTTPServerError) {
        let failure: HTTPServerError? = state.withLock { state -> HTTPServerError? in
            guard case .idle = state.phase else { return .alreadyStarted }
            switch state.upgrades.registering(path, route) {
            case nil: return nil
            case .duplicate(let path)?: return .duplicateUpgradePath(path)
            case .invalid(let path)?: return .invalidUpgradePath(path)
            }
        }
        if let failure { throw failure }
    }

    /// Sets up one connection: the HTTP codec, the upgrader when upgrade paths exist, then the request handler.
    ///
    /// No `HTTPServerPipelineHandler` and no `HTTPServerProtocolErrorHandler`: ``HTTPConnectionHandler`` orders
    /// pipelined requests and answers parser errors itself. NIO's pipeline handler holds the channel's `read()`
    /// while every response is computed, which costs two `epoll_ctl` calls per request (read interest off, on).
    static func configurePipeline(_ channel: any Channel, core: ServerCore) throws {
        let handler = HTTPConnectionHandler(core: core, executor: core.executor(for: channel.eventLoop))
        let pipeline = channel.pipeline.syncOperations
        guard !core.upgrades.isEmpty else {
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try pipeline.addHandler(handler, name: HTTPConnectionHandler.name)
            return
        }
        let upgrades = core.upgrades
        let decoderLimit = upgrades.allRoutes.map(\.maxFrameSize).max() ?? (1 << 14)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: decoderLimit,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                guard let route = upgrades.route(for: RequestTarget.split(head.uri).path) else {
                    // Not ours: the request continues as plain HTTP and the handler answers 404.
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return route.shouldUpgrade(channel, head)
            },
            upgradePipelineHandler: { channel, head in
                guard let route = upgrades.route(for: RequestTarget.split(head.uri).path) else {
                    return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
                }
                if route.maxFrameSize != decoderLimit {
                    // The upgrader installed a decoder with the largest route limit; this route wants its own.
                    do {
                        let sync = channel.pipeline.syncOperations
                        let existing = try sync.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                        try sync.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: route.maxFrameSize)), position: .after(existing))
                        sync.removeHandler(existing, promise: nil)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return route.upgrade(channel, head)
            })
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                // Before the route installs its handlers: the HTTP request handler must not see frames.
                context.pipeline.removeHandler(name: HTTPConnectionHandler.name, promise: nil)
                // WebSocket handlers expect a peer's end of input to close the connection, as NIO does by default.
                try? context.channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: false)
            }),
            withErrorHandling: false)
        try pipeline.addHandler(handler, name: HTTPConnectionHandler.name)
    }
}
