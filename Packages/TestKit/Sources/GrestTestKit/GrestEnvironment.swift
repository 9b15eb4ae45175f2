public import CoreMetrics
public import GrestDiscovery
public import GrestHTTP
public import Logging

/// What an app gets from whoever runs it: a logger, where other services live, and the middleware that carries
/// test scopes across service boundaries. Production builds one with ``init(logger:middleware:metricsFactory:discovery:)``
/// around its discovery backend; the harness builds one per app, whose ``discovery`` is the harness's registry.
///
/// The discovery seam is ``discovery`` (a GrestDiscovery `DiscoveryClient`): an app that calls another service
/// resolves that service's API there, through ``client(for:)`` or ``baseURL(for:)`` here, or GrestDiscoveryIntegration's
/// `HTTPClient(schema, discovery: environment.discovery)`.
public struct GrestEnvironment: Sendable {
    /// The app's logger (in tests: captured per app, see ``GrestHarness/logs(of:)``).
    public var logger: Logger
    /// Middleware to put on the app's servers and on its clients of other services. In tests it carries the test
    /// scope (`x-grest-test-scope`) from an incoming request to the calls that request makes, which is how a mock
    /// stays scoped to one test case; in production it is empty.
    public var middleware: [any TransportMiddleware]
    /// Where the app's metrics go (`HTTPServerConfiguration.metricsFactory`): in tests a registry of its own
    /// (``GrestHarness/metrics(of:)``); `nil` in production means the process-wide `MetricsSystem`.
    public var metricsFactory: (any MetricsFactory)?
    /// Where other services live (grest-ts `GG_DISCOVERY`). In tests: the harness's `InMemoryDiscovery`
    /// (``GrestHarness/discovery``), in which every started app's HTTP schemas are registered at the stand-in in
    /// front of that app (where mocks and spies sit) and its socket schemas at the app's own port. In production:
    /// `StaticDiscovery`, `EtcdDiscovery`, the local router's client, … (wrap a remote one in `CachingDiscovery`).
    public var discovery: any DiscoveryClient

    public init(
        logger: Logger, middleware: [any TransportMiddleware] = [], metricsFactory: (any MetricsFactory)? = nil, discovery: any DiscoveryClient
    ) {
        self.logger = logger
        self.middleware = middleware
        self.metricsFactory = metricsFactory
        self.discovery = discovery
    }

    /// The base URL (`http://host:port`, without the schema's prefix) of a service that serves `schema`, resolved now.
    /// - Throws: ``GrestEnvironmentError/unknownService(_:)`` when discovery knows no instance (start dependencies
    ///   first), ``GrestEnvironmentError/discoveryFailed(_:_:)`` when the backend could not answer.
    public func baseURL(for schema: HTTPSchema) async throws(GrestEnvironmentError) -> String {
        do {
            return try await discovery.resolve(api: schema.name).http.removingTrailing(pathPrefix: schema.pathPrefix).url
        } catch .notRegistered {
            throw .unknownService(schema.name)
        } catch {
            throw .discoveryFailed(schema.name, error)
        }
    }

    /// A client of the service that serves `schema`, with this environment's middleware. The API is resolved once
    /// now (an app started before its dependency fails to start) and again before every call, so the client
    /// follows the instances discovery knows.
    public func client(for schema: HTTPSchema) async throws(GrestEnvironmentError) -> HTTPClient {
        _ = try await baseURL(for: schema)
        return HTTPClient(schema, baseURLLookup: { [self] in try await baseURL(for: schema) }, middleware: middleware)
    }
}

/// Why an environment could not answer.
public enum GrestEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No app serving this API has started.
    case unknownService(String)
    /// Discovery could not answer for this API.
    case discoveryFailed(String, DiscoveryError)

    public var description: String {
        switch self {
        case .unknownService(let name): "No started app serves \(name); start the apps it depends on before it"
        case .discoveryFailed(let name, let error): "Discovery failed for \(name): \(error)"
        }
    }
}
