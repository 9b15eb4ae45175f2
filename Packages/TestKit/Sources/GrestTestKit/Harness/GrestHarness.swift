public import GrestDiscovery
@_spi(GrestTestKit) public import GrestHTTP
public import GrestWebSocket
import GrestWebSocketClient
public import Logging
public import MetricsTestKit
import NIOHTTP1
import ServiceLifecycle
import Synchronization
public import Testing

/// Runs apps in-process for a test: each on port 0 in its own `ServiceGroup`, with captured logs and a stand-in
/// in front of every HTTP schema it serves, through which the other apps reach it (that is where mocks and spies
/// sit). The harness owns the apps' discovery (``discovery``): every started app's schemas are registered there
/// with their bound ports. Everything stops however the test ends.
///
/// ```swift
/// try await withGrestHarness(UsersApp.self, OrdersApp.self) { harness in
///     try await harness.callOn(OrdersHTTP).call(OrdersApi.place, order)
///         .with(mock(UsersApi.get).returning(alice))
///         .expect(matching: ["status": "placed"])
///         .run()
/// }
/// ```
public final class GrestHarness: Sendable {
    /// The harness of the enclosing `.grest(...)` trait or `withGrestHarness`.
    @TaskLocal public static var current: GrestHarness?

    struct RunningApp: Sendable {
        let name: String
        let logs: LogCapture
        let metrics: TestMetrics
        let group: ServiceGroup
    }

    struct State: Sendable {
        var apps: [RunningApp] = []
        /// API name → the app's own server.
        var realURLs: [String: String] = [:]
        /// The HTTP servers of every app, with their base URLs.
        var servers: [(server: HTTPServer, url: String)] = []
        var closers: [@Sendable () async -> Void] = []
    }

    let interceptors = InterceptorRegistry()
    let state = Mutex(State())

    /// The apps' discovery, which every ``GrestEnvironment`` of this harness gets as its `discovery`. When an app has
    /// started, each HTTP schema it serves is registered (scheme `http`) at the port of the stand-in in front of it,
    /// so that calls between apps pass where mocks and spies sit, and each socket schema (scheme `ws`) at the app's
    /// own port. The instance id is the app's name; when two apps serve one API, the first started answers. Tests
    /// read it too:
    ///
    /// ```swift
    /// let users = try await harness.discovery.resolve(api: "UsersApi")   // the stand-in in front of the users app
    /// ```
    public let discovery = InMemoryDiscovery(strategy: .first)

    init() {}

    /// The harness of the enclosing `.grest(...)` trait or `withGrestHarness`.
    /// - Throws: ``TestKitError/noCurrentHarness`` outside one.
    public static func required() throws -> GrestHarness {
        guard let current else { throw TestKitError.noCurrentHarness }
        return current
    }

    /// The base URL (`http://127.0.0.1:port`) of the app serving `schema`, as the test reaches it: the app's own
    /// server, not the stand-in that ``discovery`` gives the other apps.
    public func baseURL(for schema: HTTPSchema) throws -> String {
        guard let url = state.withLock({ $0.realURLs[schema.name] }) else { throw GrestEnvironmentError.unknownService(schema.name) }
        return url
    }

    /// The base URL of the app serving `Api`'s schema (see ``baseURL(for:)-(HTTPSchema)``).
    public func baseURL<Api: HTTPApiNamespace>(for api: Api.Type) throws -> String {
        try baseURL(for: Api.schema)
    }

    /// The former name of ``baseURL(for:)-(HTTPSchema)``.
    @available(*, deprecated, renamed: "baseURL(for:)")
    public func url(of schema: HTTPSchema) throws -> String {
        try baseURL(for: schema)
    }

    /// The captured log lines of the app named `app`.
    public func logs(of app: String) -> LogCapture? {
        state.withLock { $0.apps.first { $0.name == app }?.logs }
    }

    /// The metrics registry of the app named `app` (swift-metrics' `TestMetrics`, fed through
    /// ``GrestEnvironment/metricsFactory``).
    public func metrics(of app: String) -> TestMetrics? {
        state.withLock { $0.apps.first { $0.name == app }?.metrics }
    }

    /// Expects the counter `label` of `app` (summed over the counters whose dimensions include `dimensions`) to change
    /// by exactly `delta` across the call.
    ///
    /// ```swift
    /// .with(harness.counterDelta("grest_ws_requests_total", in: "chat", by: 1, dimensions: [("method", "sendMessage")]))
    /// ```
    public func counterDelta(_ label: String, in app: String, by delta: Int64, dimensions: [(String, String)] = []) throws -> MetricDelta {
        guard let metrics = metrics(of: app) else { throw GrestEnvironmentError.unknownService(app) }
        let wanted = dimensions.map { Pair(name: $0.0, value: $0.1) }
        return MetricDelta(label, by: Double(delta)) {
            Double(metrics.counterTotal(label: label, dimensions: wanted.map { ($0.name, $0.value) }))
        }
    }

    /// Expects a log line from `app` containing `text` at `level` or above.
    public func expectLog(in app: String, containing text: String, level: Logger.Level = .trace) throws -> LogExpectation {
        guard let capture = logs(of: app) else { throw GrestEnvironmentError.unknownService(app) }
        return LogExpectation(capture: capture, text: text, level: level)
    }

    /// A client of `schema` on the app serving it, calling as `context`.
    public func callOn(_ schema: HTTPSchema, as context: TestContext = .anonymous) throws -> TestHTTPClient {
        let client = HTTPClient(schema, baseURL: try baseURL(for: schema), middleware: context.middleware)
        state.withLock { $0.closers.append { await client.shutdown() } }
        return TestHTTPClient(harness: self, client: client)
    }

    /// Connects a socket test client to the app that serves `schema`'s path, as `context`.
    public func connect<Query: Sendable>(
        _ schema: WebSocketSchema<Query>, query: Query, as context: TestContext = .anonymous, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestSocketClient<Query> {
        let base = try state.withLock { state in
            guard let url = state.servers.first(where: { $0.server.servesUpgrade(path: schema.path) })?.url else {
                throw GrestEnvironmentError.unknownService(schema.name)
            }
            return url
        }
        let scope = TestScopeID.next()
        var configuration = SocketClientConfiguration()
        configuration.middleware = context.middleware + [ScopeHeaderMiddleware(scope: scope)]
        configuration.reconnect = nil
        let client = schema.createClient(url: "ws" + base.dropFirst("http".count), query: query, configuration: configuration)
        let tester = try TestSocketClient(client: client, contract: schema.contract, scope: scope, harness: self, sourceLocation: sourceLocation)
        state.withLock { $0.closers.append { await tester.close() } }
        try await client.connect()
        return tester
    }

    /// Connects a socket test client for a socket API without a connect query.
    public func connect(
        _ schema: WebSocketSchema<Void>, as context: TestContext = .anonymous, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> TestSocketClient<Void> {
        try await connect(schema, query: (), as: context, sourceLocation: sourceLocation)
    }

    // MARK: Lifecycle

    func start(_ app: GrestAppDefinition) async throws -> ServiceGroup {
        let capture = LogCapture()
        let logger = capture.logger(label: app.name)
        let metrics = TestMetrics()
        let environment = GrestEnvironment(logger: logger, middleware: [TestScopeMiddleware()], metricsFactory: metrics, discovery: discovery)
        let services: [any Service]
        do {
            services = try await app.makeServices(environment)
        } catch {
            throw TestKitError.appFailedToStart(app.name, error)
        }
        var standIns: [HTTPServer] = []
        var started: [HTTPServer] = []
        do {
            for case let server as HTTPServer in services {
                if server.port == nil {
                    try await server.start()
                    started.append(server)
                }
                guard let port = server.port else { continue }
                let url = "http://\(server.configuration.host):\(port)"
                let standIn = try await makeStandIn(for: server.registeredSchemas, realURL: url, logger: logger)
                standIns.append(standIn.server)
                state.withLock { state in
                    state.servers.append((server, url))
                    for schema in server.registeredSchemas { state.realURLs[schema.name] = url }
                }
                try discovery.add(registrations(of: server, app: app.name, port: port, standInPort: standIn.port))
            }
        } catch {
            // Nothing runs these yet: stop what this app bound before reporting.
            for server in started + standIns { await server.shutdown() }
            throw TestKitError.appFailedToStart(app.name, error)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: (services + standIns.map { $0 as any Service }).map { .init(service: $0) }, logger: logger))
        state.withLock { $0.apps.append(RunningApp(name: app.name, logs: capture, metrics: metrics, group: group)) }
        return group
    }

    /// What ``discovery`` learns of a started server: its HTTP schemas at the stand-in's port, its socket schemas at
    /// its own.
    private func registrations(of server: HTTPServer, app: String, port: Int, standInPort: Int) -> [ServiceRegistration] {
        let host = server.configuration.host == "0.0.0.0" ? "127.0.0.1" : server.configuration.host
        let http = server.registeredSchemas.map { schema in
            // The stand-in listens on 127.0.0.1 (GrestHarness+StandIn).
            ServiceRegistration(
                api: schema.name, scheme: .http, host: "127.0.0.1", port: standInPort, pathPrefix: schema.pathPrefix, instanceID: app, runtime: app)
        }
        // HTTPServer lists socket APIs only in its permission registry, where each socket registration adds its
        // methods and its connect permission: one entry per API name.
        var socketAPIs: [String] = []
        for surface in server.permissions.all where surface.kind != .httpRoute && !socketAPIs.contains(surface.api) {
            socketAPIs.append(surface.api)
        }
        let ws = socketAPIs.map { api in ServiceRegistration(api: api, scheme: .ws, host: host, port: port, instanceID: app, runtime: app) }
        return http + ws
    }

    /// Closes every client the test opened, reporting pushes nobody expected.
    func closeClients() async {
        let closers = state.withLock { state in
            defer { state.closers = [] }
            return state.closers
        }
        for close in closers { await close() }
    }
}

/// Starts `apps` in order (an app's dependencies before it), runs `body`, then stops everything, also when
/// `body` throws or the test is cancelled. For XCTest, one-off use, or a harness per test.
///
/// ```swift
/// try await withGrestHarness(UsersApp.self, OrdersApp.self) { harness in … }
/// ```
@discardableResult
public func withGrestHarness<Result: Sendable>(
    _ apps: [GrestAppDefinition], isolation: isolated (any Actor)? = #isolation, _ body: (GrestHarness) async throws -> Result
) async throws -> Result {
    let harness = GrestHarness()
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        var groups: [ServiceGroup] = []
        func stop() async {
            await harness.closeClients()
            for running in groups.reversed() { await running.triggerGracefulShutdown() }
        }
        do {
            for app in apps {
                let running = try await harness.start(app)
                groups.append(running)
                group.addTask { try await running.run() }
            }
            let result = try await GrestHarness.$current.withValue(harness) { try await body(harness) }
            await stop()
            try await group.waitForAll()
            return result
        } catch {
            await stop()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// ``withGrestHarness(_:isolation:_:)`` for app types.
@discardableResult
public func withGrestHarness<Result: Sendable>(
    _ apps: any GrestApp.Type..., isolation: isolated (any Actor)? = #isolation, _ body: (GrestHarness) async throws -> Result
) async throws -> Result {
    try await withGrestHarness(apps.map { GrestAppDefinition($0) }, isolation: isolation, body)
}

/// A dimension, Sendable for the `read` closure.
private struct Pair: Sendable {
    let name: String
    let value: String
}
