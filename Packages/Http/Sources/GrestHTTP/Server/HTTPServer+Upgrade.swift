import NIOCore
import NIOHTTP1
import Synchronization

extension HTTPServer {
    /// Serves an upgrade (a WebSocket, through GrestWebSocket) on `path`: an exact path, or `/base/*` for every path
    /// under `/base/`.
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
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withServerUpgrade: (upgraders: core.upgraders, completionHandler: { context in
                // Before the route installs its handlers: the HTTP request handler must not see frames.
                context.pipeline.removeHandler(name: HTTPConnectionHandler.name, promise: nil)
                // Upgraded protocols (WebSocket) expect a peer's end of input to close the connection, NIO's default.
                try? context.channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: false)
            }),
            withErrorHandling: false)
        try pipeline.addHandler(handler, name: HTTPConnectionHandler.name)
    }
}
