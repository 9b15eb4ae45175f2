public import GrestDiscovery
public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOWebSocket
import Synchronization

/// A development router (grest-ts `GGLocalDiscoveryServer`, in-process part): one loopback origin for every API,
/// reverse-proxying each HTTP request to a replica of the API whose path prefix is the longest match.
///
/// ```swift
/// let router = LocalDiscoveryRouter()
/// try await router.start()                                   // 127.0.0.1, a free port
/// try await router.registry.register(registrations)         // or DiscoveryRegistrationService(discovery: router.registry)
/// let users = HTTPClient(UsersHTTP, discovery: router.discovery)   // every API resolves to the router
/// ```
///
/// Binds `127.0.0.1` by default (grest-ts bound `0.0.0.0` with an unauthenticated register endpoint). No route:
/// 404 with the known prefixes; an upstream that cannot be reached or drops mid-request: 502 naming it.
public final class LocalDiscoveryRouter: Sendable {
    public let host: String
    public let requestedPort: Int
    /// The route table: every registration the router proxies to.
    public let registry: InMemoryDiscovery
    private let strategy: RoutingStrategy
    private let group: any EventLoopGroup
    private let state = Mutex<(channel: (any Channel)?, port: Int?)>((nil, nil))
    /// Upstreams (`host:port`) out of rotation: failed a health probe, or refused a proxied connection.
    private let ejected = Mutex<Set<String>>([])
    private let connections = Atomic<Int>(0)
    /// Accepted connections, closed by ``shutdown()`` (as a crash would close them).
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// What `discovery/getServerInfo` reports: `embedded` (in a service) or `bin` (the standalone executable).
    public let kind: String
    /// When set, `run()` probes `GET healthCheckPath` on every upstream each ``healthCheckInterval``.
    public let healthCheckPath: String?
    public let healthCheckInterval: Duration

    /// - Parameter strategy: How a replica is picked per request (round-robin by default).
    public init(
        host: String = "127.0.0.1", port: Int = 0, registry: InMemoryDiscovery = InMemoryDiscovery(), strategy: RoutingStrategy = .roundRobin,
        kind: String = "embedded", healthCheckPath: String? = nil, healthCheckInterval: Duration = .seconds(2),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.kind = kind
        self.healthCheckPath = healthCheckPath
        self.healthCheckInterval = healthCheckInterval
        self.host = host
        self.requestedPort = port
        self.registry = registry
        self.strategy = strategy
        self.group = eventLoopGroup
    }

    /// The bound port once started.
    public var port: Int? { state.withLock { $0.port } }

    /// The router's origin, once started.
    public var endpoint: Endpoint? { port.map { Endpoint(scheme: "http", host: host, port: $0) } }

    /// A client that resolves every registered API to the router's origin (what grest-ts's `discoverApi` returned)
    /// and registers into the router's table.
    public var discovery: any DiscoveryClient { RouterDiscovery(router: self) }

    /// Binds; after it returns ``port`` holds the bound port.
    public func start() async throws {
        let router = self
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel)
                router.open.withLock { $0[key] = channel }
                channel.closeFuture.whenComplete { _ in _ = router.open.withLock { $0.removeValue(forKey: key) } }
                let connectionID = "client-\(router.connections.wrappingAdd(1, ordering: .relaxed).newValue)"
                let ipc = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 20,
                    shouldUpgrade: { channel, head in
                        channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix(IPCHandler.path) ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, head in
                        let runtime = head.uri.split(separator: "runtimeId=").dropFirst().first.map { String($0.prefix { $0 != "&" }) } ?? ""
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(IPCHandler(router: router, connectionID: connectionID, runtime: runtime))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [ipc],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(name: ProxyHandler.name, promise: nil)
                            }
                        ),
                        withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ProxyHandler(router: router), name: ProxyHandler.name)
                }
            }
            .bind(host: host, port: requestedPort).get()
        state.withLock { $0 = (channel, channel.localAddress?.port) }
    }

    /// Stops listening and closes every connection (framework connections included, so followers notice).
    public func shutdown() async {
        let channel = state.withLock { state -> (any Channel)? in
            defer { state.channel = nil }
            return state.channel
        }
        try? await channel?.close()
        for connection in open.withLock({ Array($0.values) }) { try? await connection.close() }
    }

    /// The registration to proxy `path` to: the longest matching prefix, then the strategy among its replicas that
    /// are in rotation and not in `excluding` (replicas already tried for this request). When every replica is
    /// ejected they are all tried anyway: a stale ejection must not turn into a certain 502.
    package func route(for path: Substring, excluding: Set<String> = [], schemes: Set<ServiceRegistration.Scheme> = [.http]) -> ServiceRegistration? {
        var best: [ServiceRegistration] = []
        var bestLength = -1
        for registration in registry.registrations() where schemes.contains(registration.scheme) {
            let prefix = registration.pathPrefix
            guard Self.path(path, hasPrefix: prefix), prefix.count >= bestLength else { continue }
            if prefix.count > bestLength {
                best = []
                bestLength = prefix.count
            }
            best.append(registration)
        }
        let untried = best.filter { !excluding.contains($0.endpoint.hostPort.description) }
        let ejected = ejected.withLock { $0 }
        let healthy = untried.filter { !ejected.contains($0.endpoint.hostPort.description) }
        let candidates = healthy.isEmpty ? untried : healthy
        guard let first = candidates.first else { return nil }
        guard let chosen = strategy.select(from: candidates.map(\.endpoint), api: first.api) else { return nil }
        return candidates.first { $0.endpoint == chosen }
    }

    /// Takes an upstream out of rotation (passive ejection after a refused connection); the next successful health
    /// probe puts it back.
    package func eject(_ upstream: HostPort) {
        _ = ejected.withLock { $0.insert(upstream.description) }
    }

    /// The upstreams currently out of rotation.
    public var ejectedUpstreams: Set<String> { ejected.withLock { $0 } }

    /// One round of active health checks: `GET healthPath` on every registered HTTP upstream; anything but a 2xx
    /// within `timeout` takes it out of rotation, a 2xx puts it back.
    public func checkHealth(path healthPath: String = "/healthz", timeout: Duration = .seconds(1)) async {
        let upstreams = Set(registry.registrations().filter { $0.scheme == .http }.map(\.endpoint.hostPort))
        await withTaskGroup(of: (HostPort, Bool).self) { group in
            for upstream in upstreams {
                group.addTask { [group = self.group] in
                    (upstream, await HealthProbe.isHealthy(upstream, path: healthPath, timeout: timeout, group: group))
                }
            }
            for await (upstream, healthy) in group {
                ejected.withLock { ejected in
                    if healthy { ejected.remove(upstream.description) } else { ejected.insert(upstream.description) }
                }
            }
        }
    }

    /// Runs ``checkHealth(path:timeout:)`` every `interval` until the task is cancelled.
    public func runHealthChecks(path healthPath: String = "/healthz", every interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            await checkHealth(path: healthPath)
            try? await Task.sleep(for: interval)
        }
    }

    /// The prefixes known, for the 404 body.
    package var knownPrefixes: [String] { Array(Set(registry.registrations().map { $0.pathPrefix.isEmpty ? "/" : $0.pathPrefix })).sorted() }

    /// `/api/users/1` has prefix `/api/users`, `/api/usersX` does not.
    static func path(_ path: Substring, hasPrefix prefix: String) -> Bool {
        if prefix.isEmpty { return true }
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.dropFirst(prefix.count)
        return rest.isEmpty || rest.first == "/" || rest.first == "?"
    }
}

/// Resolves every API with at least one registration to the router's origin.
struct RouterDiscovery: DiscoveryClient {
    let router: LocalDiscoveryRouter

    func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        guard let endpoint = router.endpoint else { throw .unavailable("Router not started yet!") }
        return router.registry.registrations(api: api).isEmpty ? [] : [endpoint]
    }

    func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let endpoint = router.endpoint
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self)
        // The producer lives exactly as long as the consumer: onTermination cancels it.
        let task = Task {
            do {
                for try await replicas in router.registry.subscribe(api: api) { continuation.yield(replicas.isEmpty || endpoint == nil ? [] : [endpoint!]) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await router.registry.register(registrations) }
    func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await router.registry.unregister(registrations) }
}
