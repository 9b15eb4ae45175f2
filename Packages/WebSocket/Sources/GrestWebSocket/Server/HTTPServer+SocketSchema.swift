public import GrestHTTP
import GrestContext
import GrestSchema
public import GrestWebSocketTransport
import NIOCore
import NIOHTTP1
import WebSocketCompression
import CoreMetrics

/// How a server serves one socket API.
public struct SocketServerConfiguration: Sendable {
    /// RFC 6455 limits, backpressure and compression. Deflate is accepted by default when the client offers it.
    public var transport: WebSocketConfiguration
    /// Request timeout, in-flight bounds, heartbeat (20 s interval, 10 s timeout, protocol pings).
    public var peer: SocketPeerConfiguration = SocketPeerConfiguration()
    /// How long the client has to send `h` and the middleware to finish (grest-ts: 5 s).
    public var handshakeTimeout: Duration = .seconds(5)
    /// Where each connection's handshake, read loop and message handlers run: the global executor (default), or
    /// the connection's event loop (`.eventLoop`), where a typed round trip crosses no thread. Choose `.eventLoop`
    /// only for handlers that await I/O rather than compute or block: they share the loop with every other
    /// connection on it, as HTTP handlers on this server do.
    public var handlerExecutor: WebSocketHandlerExecutor = .globalConcurrent

    public init() {
        var transport = WebSocketConfiguration()
        transport.compression = PerMessageDeflate()
        self.transport = transport
    }
}

extension HTTPServer {
    /// Serves the socket API `schema` on this server (grest-ts `Api.register(handler, { http })`); several
    /// socket APIs and HTTP schemas can share one server.
    ///
    /// `handler` runs once per connection, after the handshake's middleware and permission checks, inside the
    /// connection's context: it registers `incoming` handlers, keeps `outgoing` for pushes, and returns. Only
    /// then is `k` sent, so the client's first request always finds its handler. Throwing refuses the
    /// connection (`x` + 4001 "Connection rejected").
    ///
    /// ```swift
    /// try server.register(ChatSocket, permissionResolver: scopes) { socket in
    ///     try socket.incoming.on(ChatApi.sendMessage) { request in … }
    ///     socket.onClose { … }
    /// }
    /// ```
    ///
    /// The schema's client-to-server methods and `connectPermission` join this server's permission strict-mode
    /// registry: a permission on any socket method makes every HTTP route declare one too, and `start()`
    /// refuses a non-public permission without `permissionResolver`.
    /// - Parameters:
    ///   - permissionResolver: The caller's scopes, resolved once after the handshake middleware and cached for
    ///     the connection; `nil` when no identity.
    ///   - middleware: Server-level middleware, run before the schema's own.
    public func register<Query: Sendable>(
        _ schema: WebSocketSchema<Query>,
        permissionResolver: ScopeResolver? = nil,
        middleware: [any TransportMiddleware] = [],
        configuration: SocketServerConfiguration = SocketServerConfiguration(),
        _ handler: @escaping @Sendable (ServerSocket<Query>) async throws -> Void
    ) throws {
        for method in schema.contract.clientToServer {
            permissions.add(
                PermissionSurface(
                    api: schema.name, method: method.name, kind: .webSocketMethod, permission: method.permission,
                    hasResolver: permissionResolver != nil))
        }
        if let connectPermission = schema.connectPermission {
            permissions.add(
                PermissionSurface(
                    api: schema.name, method: "connect", kind: .webSocketConnect, permission: connectPermission,
                    hasResolver: permissionResolver != nil))
        }
        let transport = configuration.peer.transportConfiguration(configuration.transport)
        let endpoint = SocketEndpoint(
            schema: schema, middleware: middleware + schema.middlewares, resolver: permissionResolver, configuration: configuration,
            metrics: SocketMetrics(contract: schema.contract, path: schema.path, factory: self.configuration.metricsFactory), handler: handler)
        try registerWebSocket(path: schema.path, configuration: transport, handlerExecutor: configuration.handlerExecutor) { connection in
            await endpoint.serve(connection)
        }
    }
}

/// One registered socket API: runs the server side of the handshake for each connection, then its peer.
struct SocketEndpoint<Query: Sendable>: Sendable {
    let schema: WebSocketSchema<Query>
    let middleware: [any TransportMiddleware]
    let resolver: ScopeResolver?
    let configuration: SocketServerConfiguration
    let metrics: SocketMetrics
    let handler: @Sendable (ServerSocket<Query>) async throws -> Void

    func serve(_ transport: WebSocketConnection) async {
        let context = Context(name: "ws-connection")
        await context.run {
            try? SocketConnectionInfo.key.set(SocketConnectionInfo(port: transport.info.localAddress?.port, path: schema.path))
            await handshakeAndServe(transport, context)
        }
    }

    private func handshakeAndServe(_ transport: WebSocketConnection, _ context: Context) async {
        let info = transport.info
        var rawQuery: [String: String] = [:]
        for item in info.queryItems where rawQuery[item.name] == nil { rawQuery[item.name] = item.value }
        let query: Query
        do {
            query = try schema.parseQuery(rawQuery)
        } catch {
            metrics.connection("QUERY_INVALID")
            _ = try? await transport.close(code: WebSocketCloseCode(SocketCloseCode.invalidQuery), reason: SocketCloseCode.invalidQueryReason)
            return
        }

        let handshake = LockedState(ServerHandshake(timeout: configuration.handshakeTimeout, connectPermission: schema.connectPermission))
        _ = handshake.withLock { $0.queryChecked(isValid: true, now: .now) }
        let metrics = self.metrics
        let (expiries, expiry) = AsyncStream.makeStream(of: ServerHandshake.Action.self)
        let deadline = transport.channel.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            // NIO's timer and ContinuousClock may disagree by a hair: the timer for the deadline is what counts.
            expiry.yield(handshake.withLock { $0.deadlinePassed(now: $0.deadline ?? .now) })
            expiry.finish()
        }
        let endDeadline = {
            deadline.cancel()
            expiry.finish()
        }
        await withDiscardingTaskGroup { group in
            // What the deadline asks for (the rejection) is sent by a child of this connection, not by the timer.
            group.addTask { for await action in expiries { await Self.perform(action, on: transport, metrics: metrics) } }
            defer { endDeadline() }
            await handshakeThenServe(transport, context, handshake: handshake, query: query, info: info, metrics: metrics, accepted: endDeadline)
        }
    }

    private func handshakeThenServe(
        _ transport: WebSocketConnection, _ context: Context, handshake: LockedState<ServerHandshake>, query: Query, info: WebSocketConnectionInfo,
        metrics: SocketMetrics, accepted cancelDeadline: () -> Void
    ) async {
        var iterator = transport.inbound.makeAsyncIterator()
        let codec = SocketFrameCodec(limits: configuration.peer.frameLimits)
        while let message = await iterator.next() {
            guard case .text(let text) = message, case .frame(let frame) = codec.decode(text) else { continue }
            guard case .runMiddleware(let headers) = handshake.withLock({ $0.frameReceived(frame) }) else { continue }

            let result = await runMiddleware(headers: headers, info: info)
            let action = handshake.withLock { $0.middlewareFinished(result) }
            guard case .establish(let gate) = action else {
                await Self.perform(action, on: transport, metrics: metrics)
                continue
            }
            let peer = SocketPeer(
                transport: transport, contract: schema.contract, receiving: .clientToServer,
                table: SocketHandlerTable(contract: schema.contract, receiving: .clientToServer), gate: gate, context: context,
                metrics: metrics, configuration: configuration.peer, holdsFramesUntilAccept: true)
            let socket = ServerSocket(
                incoming: SocketIncoming(update: { registration throws(SocketRegistrationError) in try peer.register(registration) }),
                outgoing: SocketOutgoing(peer: { peer }, contract: schema.contract, direction: .serverToClient),
                query: query, info: info, peer: peer)
            let next: ServerHandshake.Action
            do {
                try await handler(socket)
                next = handshake.withLock { $0.routesRegistered() }
            } catch {
                next = handshake.withLock { $0.registrationFailed(error) }
            }
            guard case .accept(let accepted) = next else {
                await Self.perform(next, on: transport, metrics: metrics)
                continue
            }
            cancelDeadline()
            await peer.accept(accepted)
            metrics.connection("OK")
            metrics.active.increment()
            await peer.run(&iterator)
            metrics.active.decrement()
            return
        }
        handshake.withLock { $0.connectionClosed() }
    }

    /// Every `parse`, `process` and `clear` of the middleware on the handshake, then the scope resolver.
    private func runMiddleware(headers: [String: String], info: WebSocketConnectionInfo) async -> Result<Set<String>?, ServiceError> {
        var httpHeaders = HTTPHeaders()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { httpHeaders.add(name: name, value: value) }
        // Cookies only from the real upgrade request; an in-band `cookie` was removed by the handshake.
        for cookie in info.requestHeaders[canonicalForm: "cookie"] { httpHeaders.add(name: "cookie", value: String(cookie)) }
        let request = InboundRequest(transport: .webSocket, method: "GET", path: schema.path, rawQuery: Substring(info.query), headers: httpHeaders)
        if let error = await TransportMiddlewareChain.runServerSide(middleware, request) { return .failure(error) }
        switch await PermissionGate.resolve(resolver) {
        case .noResolver: return .success(nil)
        case .resolved(let scopes): return .success(scopes)
        case .failed(let error): return .failure(ServiceError.fromUnknown(error))
        }
    }

    private static func perform(_ action: ServerHandshake.Action, on transport: WebSocketConnection, metrics: SocketMetrics) async {
        switch action {
        case .reject(let frame, _, let code, let reason):
            metrics.connection("HANDSHAKE_FAILED")
            try? await transport.send(text: String(decoding: frame, as: UTF8.self))
            _ = try? await transport.close(code: WebSocketCloseCode(code), reason: reason)
        case .close(let code, let reason):
            _ = try? await transport.close(code: WebSocketCloseCode(code), reason: reason)
        case .none, .dropFrame, .runMiddleware, .establish, .accept:
            break
        }
    }
}

extension WebSocketSchema {
    /// Starts a server that serves only this socket API (grest-ts `Api.startServer`); shut it down with
    /// ``GrestHTTP/HTTPServer/shutdown()`` or run it as a swift-service-lifecycle `Service`.
    ///
    /// ```swift
    /// let server = try await ChatSocket.startServer(HTTPServerConfiguration(port: 8080)) { socket in … }
    /// ```
    public func startServer(
        _ serverConfiguration: HTTPServerConfiguration = HTTPServerConfiguration(),
        permissionResolver: ScopeResolver? = nil,
        middleware: [any TransportMiddleware] = [],
        configuration: SocketServerConfiguration = SocketServerConfiguration(),
        _ handler: @escaping @Sendable (ServerSocket<Query>) async throws -> Void
    ) async throws -> HTTPServer {
        let server = HTTPServer(configuration: serverConfiguration)
        try server.register(self, permissionResolver: permissionResolver, middleware: middleware, configuration: configuration, handler)
        try await server.start()
        return server
    }
}
