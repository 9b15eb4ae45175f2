public import GrestMiddleware
import GrestSchema
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
import Synchronization

/// A SwiftNIO HTTP/1.1 server for contract schemas (grest-ts `GGHttpServer` + `GGHttp`): keep-alive and
/// pipelining, a trie router, the permission gate, CORS, limits, an upgrade dispatcher for WebSockets, and
/// graceful shutdown. It is a swift-service-lifecycle `Service`.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080))
/// server.register(ItemsHTTP, permissionResolver: { try await scopes(of: currentUser.get()) }) { impl in
///     impl.handle(ItemsApi.get) { input in try await items.find(input.id) }
///     impl.handle(ItemsApi.create) { draft in try await items.insert(draft) }
/// }
/// try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    /// Every permission surface on this server, for the strict-mode start check. The WebSocket package adds
    /// its methods and connect permissions here.
    public let permissions = PermissionRegistry()
    let group: any EventLoopGroup
    let logger: Logger
    let state = Mutex(State())

    struct Registration: @unchecked Sendable {
        // `handlers` holds Sendable closures; `HTTPImplementation` itself is a builder that never leaves `register`.
        let schema: HTTPSchema
        let resolver: ScopeResolver?
        let middleware: [any TransportMiddleware]
        let handlers: [String: HTTPImplementation.Handler]
        let duplicateHandlers: [String]
    }

    enum Phase {
        case idle
        case starting
        case running(channel: any Channel, core: ServerCore, stopped: EventLoopPromise<Void>)
        case stopping(stopped: EventLoopPromise<Void>)
        case stopped
    }

    struct State: @unchecked Sendable {
        // Guarded by the mutex; channels and promises are Sendable, the enum payloads are only read under the lock.
        var registrations: [Registration] = []
        var upgrades = UpgradePathTable<HTTPUpgradeRoute>()
        var staticFiles: [StaticFileMount] = []
        var shutdownHooks: [@Sendable () async -> Void] = []
        var phase = Phase.idle
        var port: Int?
    }

    /// Creates a server; nothing listens until ``start()`` (or `run()`).
    /// - Parameters:
    ///   - eventLoopGroup: The loops to run on; NIO's shared singleton by default.
    public init(
        configuration: HTTPServerConfiguration = .init(), eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "grest.http")
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
    }

    /// The bound port, once started (the real one when configured with port 0).
    public var port: Int? { state.withLock { $0.port } }

    /// Serves `schema` with the handlers `implement` declares (grest-ts `schema.register(impl, {...})`).
    ///
    /// Problems (a method without handler or route, clashing routes, permission strict mode) are reported
    /// together by ``start()``, so registration order never matters.
    /// - Parameters:
    ///   - permissionResolver: Resolves the caller's scopes for the permission gate; `nil` = no gate.
    ///   - middleware: Server-level middleware, run before the schema's own.
    public func register(
        _ schema: HTTPSchema, permissionResolver: ScopeResolver? = nil, middleware: [any TransportMiddleware] = [],
        _ implement: (HTTPImplementation) -> Void
    ) {
        let implementation = HTTPImplementation()
        implement(implementation)
        for route in schema.routes {
            permissions.add(
                PermissionSurface(
                    api: schema.name, method: route.methodName, kind: .httpRoute, permission: route.descriptor.permission,
                    hasResolver: permissionResolver != nil))
        }
        let registration = Registration(
            schema: schema, resolver: permissionResolver, middleware: middleware + schema.middleware, handlers: implementation.handlers,
            duplicateHandlers: implementation.duplicates)
        state.withLock { $0.registrations.append(registration) }
    }

    /// The schemas registered so far.
    public var registeredSchemas: [HTTPSchema] { state.withLock { $0.registrations.map(\.schema) } }

    /// Declared request/response header names of every middleware on the server (they feed CORS).
    var declaredHeaders: (request: [String], response: [String]) {
        let middleware = state.withLock { $0.registrations.flatMap(\.middleware) }
        return (middleware.flatMap(\.requestHeaders), middleware.flatMap(\.responseHeaders))
    }

    // MARK: Start

    /// Checks the configuration, then binds. After it returns, ``port`` holds the bound port.
    /// - Throws: ``HTTPServerStartupError`` listing every problem (nothing listens then), or a bind error.
    public func start() async throws {
        let (registrations, upgrades, stopped) = try state.withLock { (state) throws(HTTPServerError) in
            guard case .idle = state.phase else { throw HTTPServerError.alreadyStarted }
            state.phase = .starting
            return (state.registrations, state.upgrades, group.next().makePromise(of: Void.self))
        }
        let core: ServerCore
        do {
            core = try buildCore(registrations, upgrades)
        } catch {
            stopped.succeed()
            state.withLock { $0.phase = .idle }
            throw error
        }
        do {
            let channel = try await bind(core)
            let port = channel.localAddress?.port
            state.withLock {
                $0.phase = .running(channel: channel, core: core, stopped: stopped)
                $0.port = port
            }
            logger.info("HTTP server listening", metadata: ["host": "\(configuration.host)", "port": "\(port ?? -1)"])
        } catch {
            stopped.succeed()
            state.withLock { $0.phase = .idle }
            throw error
        }
    }

    /// The core ``start()`` would serve, without binding: tests drive one connection's handler on a test channel.
    func makeCore() throws(HTTPServerStartupError) -> ServerCore {
        let (registrations, upgrades) = state.withLock { ($0.registrations, $0.upgrades) }
        return try buildCore(registrations, upgrades)
    }

    private func buildCore(_ registrations: [Registration], _ upgrades: UpgradePathTable<HTTPUpgradeRoute>) throws(HTTPServerStartupError) -> ServerCore {
        var problems: [String] = []
        let router = RouteTrie<RouteEndpoint>()
        let factory = configuration.metricsFactory
        for registration in registrations {
            let schema = registration.schema
            problems += schema.definitionProblems
            for name in registration.duplicateHandlers { problems.append("Handler registered twice for \(schema.name).\(name)") }
            for name in registration.handlers.keys.sorted() where schema.route(for: name) == nil {
                problems.append("Handler for \(schema.name).\(name), which the schema does not route")
            }
            for route in schema.routes {
                guard let handler = registration.handlers[route.methodName] else {
                    problems.append("Handler missing for \(schema.name).\(route.methodName)")
                    continue
                }
                let results = Set(route.descriptor.errors.map(\.type)).union(systemErrorTypes)
                let metrics = RouteMetrics(
                    api: schema.name, method: route.httpMethod.rawValue, path: route.path.description, resultTypes: results, factory: factory)
                let endpoint = RouteEndpoint(
                    api: schema.name, route: route, resolver: registration.resolver, middleware: registration.middleware,
                    defaultMaxBodyBytes: configuration.limits.maxBodyBytes, handler: handler, metrics: metrics)
                do {
                    try router.insert(endpoint, method: route.httpMethod, template: route.path)
                } catch {
                    problems.append("Route \(route.httpMethod.rawValue) \(route.path) (\(schema.name).\(route.methodName)) clashes with another route")
                }
            }
        }
        var coverage: PermissionCoverageError?
        do {
            try permissions.check()
        } catch {
            coverage = error
        }
        if !problems.isEmpty || coverage != nil {
            throw HTTPServerStartupError(problems: problems, permissionCoverage: coverage)
        }
        let headers = registrations.flatMap(\.middleware)
        let cors = CORSHeaders(
            policy: configuration.cors, requestHeaders: headers.flatMap(\.requestHeaders), responseHeaders: headers.flatMap(\.responseHeaders))
        let unmatched = RouteMetrics(api: "-", method: "-", path: "unmatched", resultTypes: ["ROUTE_NOT_FOUND"], factory: factory)
        return ServerCore(
            router: router, limits: configuration.limits, cors: cors, unmatchedMetrics: unmatched, upgrades: upgrades, group: group,
            staticFiles: StaticFileTable(state.withLock { $0.staticFiles }))
    }

    private func bind(_ core: ServerCore) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A client that sends its requests and then shuts down its write side still gets every reply
            // (HTTPConnectionHandler closes once they are written); upgraded connections switch this off again.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard core.connections.add(channel) else {
                        channel.close(promise: nil)
                        return
                    }
                    channel.closeFuture.whenComplete { _ in core.connections.remove(channel) }
                    try HTTPServer.configurePipeline(channel, core: core)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
    }

    // MARK: Shutdown

    /// Stops accepting, answers new requests with 503, lets in-flight requests finish within
    /// ``HTTPServerConfiguration/shutdownTimeout``, then closes every connection. Idempotent.
    public func shutdown() async {
        let action: (channel: any Channel, core: ServerCore, stopped: EventLoopPromise<Void>)? = state.withLock { state in
            guard case .running(let channel, let core, let stopped) = state.phase else { return nil }
            state.phase = .stopping(stopped: stopped)
            return (channel, core, stopped)
        }
        guard let (channel, core, stopped) = action else {
            await waitUntilStopped()
            return
        }
        core.startDraining()
        try? await channel.close()
        // In-flight requests finish while upgraded protocols say goodbye (WebSocket: 1001 Going Away and the close
        // handshake); whichever comes first, all of that or the deadline, then every connection still open closes.
        let hooks = state.withLock { $0.shutdownHooks }
        let deadline = ContinuousClock.now + .nanoseconds(configuration.shutdownTimeout.nanoseconds)
        await Self.race(until: deadline) {
            await withDiscardingTaskGroup { drain in
                drain.addTask { await core.waitUntilIdle() }
                for hook in hooks { drain.addTask(operation: hook) }
            }
        } then: { _ in
            // Past the deadline a request still running is no longer waited for (cancelled), and hooks waiting on
            // their connections end here.
            core.connections.closeAll()
        }
        // Every connection is closed now, so hosted handlers are returning: wait for them until the deadline, then
        // cancel the rest and give them `shutdownCancellationGrace` to stop. A handler that ignores cancellation too
        // (awaiting something that never ends) is left behind rather than holding the shutdown forever.
        core.hostedTasks.finish()
        if await !core.hostedTasks.wait(until: deadline) {
            core.hostedTasks.cancel()
            let grace = ContinuousClock.now + .nanoseconds(configuration.shutdownCancellationGrace.nanoseconds)
            if await !core.hostedTasks.wait(until: grace) {
                logger.error(
                    "[GrestHTTP] hosted tasks still running after cancellation; shutdown goes on without them",
                    metadata: ["grace": "\(configuration.shutdownCancellationGrace)"])
            }
        }
        state.withLock { $0.phase = .stopped }
        logger.info("HTTP server stopped")
        stopped.succeed()
    }

    /// Runs `work` until it returns or `deadline` passes, whichever comes first; then cancels it, calls `then` with
    /// whether it returned in time, and waits for it to return.
    private static func race(
        until deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> Void, then: (_ isInTime: Bool) -> Void
    ) async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await work()
                return true
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return false
            }
            let isInTime = await group.next() ?? false
            group.cancelAll()
            then(isInTime)
        }
    }

    /// Runs `operation` as a child of the server's task tree, for work that lives as long as a hosted connection
    /// (GrestWebSocket runs each socket's handler here). ``shutdown()`` waits for every such task: until its deadline,
    /// then it cancels the rest and waits ``HTTPServerConfiguration/shutdownCancellationGrace`` for them to return, so
    /// `operation` must return once its connection has closed or its task is cancelled. One that still runs then is
    /// logged and no longer waited for.
    /// - Returns: `false`, running nothing, when the server is not running (not started yet, or shutting down).
    @discardableResult
    public func addHostedTask(_ operation: @escaping @Sendable () async -> Void) -> Bool {
        let core: ServerCore? = state.withLock { state in
            guard case .running(_, let core, _) = state.phase else { return nil }
            return core
        }
        return core?.hostedTasks.add(operation) ?? false
    }

    /// Runs `hook` at graceful shutdown, once the server has stopped accepting connections, concurrently with the
    /// requests still in flight, within ``HTTPServerConfiguration/shutdownTimeout``; then every connection still
    /// open is closed. Protocols hosted through ``registerUpgrade(path:_:)`` use it to end their connections
    /// properly (GrestWebSocket sends each socket a 1001 Going Away close and waits for the handshake). A hook must
    /// return once its connections are closed (at the deadline at the latest) or when its task is cancelled. By the
    /// time hooks run, a call of ``addHostedTask(_:)`` that starts then returns `false`, so a connection upgraded
    /// later is refused there.
    public func addShutdownHook(_ hook: @escaping @Sendable () async -> Void) {
        state.withLock { $0.shutdownHooks.append(hook) }
    }

    /// A server dropped while running (never shut down) stops listening, closes its connections and completes the
    /// promise ``shutdown()`` would have: an unfulfilled promise would otherwise crash the process when freed.
    deinit {
        let leftover: (channel: (any Channel)?, core: ServerCore?, stopped: EventLoopPromise<Void>)? = state.withLock { state in
            switch state.phase {
            case .running(let channel, let core, let stopped): (channel, core, stopped)
            case .stopping(let stopped): (nil, nil, stopped)
            default: nil
            }
        }
        guard let leftover else { return }
        leftover.channel?.close(promise: nil)
        leftover.core?.connections.closeAll()
        leftover.stopped.succeed()
    }

    /// Waits until a started server has shut down (returns at once if it never started).
    public func waitUntilStopped() async {
        let stopped: EventLoopPromise<Void>? = state.withLock { state in
            switch state.phase {
            case .running(_, _, let stopped), .stopping(let stopped): stopped
            default: nil
            }
        }
        try? await stopped?.futureResult.get()
    }
}

/// Server lifecycle misuse.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyStarted
    case duplicateUpgradePath(String)
    case invalidUpgradePath(String)

    public var description: String {
        switch self {
        case .alreadyStarted: "The HTTP server was already started; register everything before start()"
        case .duplicateUpgradePath(let path): "Upgrade path \(path) is already registered on this server"
        case .invalidUpgradePath(let path): "Upgrade path \(path) must start with '/' (a '/base/*' suffix makes it a prefix)"
        }
    }
}

/// Why ``HTTPServer/start()`` refused: every configuration problem at once, with the fix.
public struct HTTPServerStartupError: Error, Sendable, CustomStringConvertible {
    /// Missing handlers or routes, clashing routes.
    public let problems: [String]
    /// Permission strict-mode violations.
    public let permissionCoverage: PermissionCoverageError?

    public var description: String {
        var text = "HTTP server refused to start:"
        for problem in problems { text += "\n  " + problem }
        if let permissionCoverage { text += "\n" + permissionCoverage.description }
        return text
    }
}
