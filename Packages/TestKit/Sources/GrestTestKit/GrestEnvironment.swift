public import CoreMetrics
public import GrestHTTP
public import Logging

/// What an app gets from whoever runs it: a logger, where other services live, and the middleware that carries
/// test scopes across service boundaries. Production builds one with ``init(logger:resolve:)``; the harness builds
/// one per app, with captured logs and stand-ins in front of every other app.
///
/// The discovery seam is ``baseURL(for:)``: an app that calls another service asks it for the base URL of that
/// service's schema. GrestDiscovery's client plugs in as the `resolve` closure.
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
    private let resolve: @Sendable (String) -> String?

    /// - Parameter resolve: The base URL (`http://host:port`) of the API named by its contract name, or `nil`.
    public init(
        logger: Logger, middleware: [any TransportMiddleware] = [], metricsFactory: (any MetricsFactory)? = nil,
        resolve: @escaping @Sendable (String) -> String?
    ) {
        self.logger = logger
        self.middleware = middleware
        self.metricsFactory = metricsFactory
        self.resolve = resolve
    }

    /// The base URL of the service that serves `schema`.
    /// - Throws: ``GrestEnvironmentError/unknownService(_:)`` when no started app serves it (start dependencies first).
    public func baseURL(for schema: HTTPSchema) throws(GrestEnvironmentError) -> String {
        guard let url = resolve(schema.name) else { throw .unknownService(schema.name) }
        return url
    }

    /// A client of the service that serves `schema`, with this environment's middleware.
    public func client(for schema: HTTPSchema) throws(GrestEnvironmentError) -> HTTPClient {
        HTTPClient(schema, baseURL: try baseURL(for: schema), middleware: middleware)
    }
}

/// Why an environment could not answer.
public enum GrestEnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No app serving this API has started.
    case unknownService(String)

    public var description: String {
        switch self {
        case .unknownService(let name): "No started app serves \(name); start the apps it depends on before it"
        }
    }
}
