import GrestContext
public import GrestHTTP
public import GrestMetrics
public import GrestSchema
import NIOHTTP1

/// What a scrape asked for, read from its `Accept` header.
enum ScrapeFormat: Sendable, Equatable {
    case text(ExpositionFormat)
    case json

    static func negotiate(accept: String?) -> ScrapeFormat {
        let format = ExpositionFormat.negotiate(accept: accept)
        if format == .openMetrics { return .text(.openMetrics) }
        if let accept, accept.lowercased().contains("application/json"), !accept.lowercased().contains("text/plain") { return .json }
        return .text(.prometheus)
    }

    var contentType: String {
        switch self {
        case .text(let format): format.contentType
        case .json: "application/json"
        }
    }
}

enum ScrapeKeys {
    static let format = ContextKey<ScrapeFormat>("grest.metrics.scrapeFormat", isMutable: true)
    static let served = ContextKey<Bool>("grest.metrics.scrapeServed", isMutable: true)
}

/// Reads the scrape's `Accept` into the context and, once the scrape was served, sets its content type
/// (a refused scrape keeps the JSON error and its content type).
struct MetricsScrapeMiddleware: TransportMiddleware {
    var requestHeaders: [String] { ["accept"] }

    func parse(_ request: InboundRequest) throws {
        try ScrapeKeys.format.set(ScrapeFormat.negotiate(accept: request.header("accept")))
    }

    func updateResponse(_ headers: inout HTTPHeaders) {
        guard ScrapeKeys.served.get() == true, let format = ScrapeKeys.format.get() else { return }
        headers.replaceOrAdd(name: "content-type", value: format.contentType)
    }
}

extension HTTPServer {
    /// Serves `registry` at `GET path` for scrapers, in the format the `Accept` header asks for: OpenMetrics 1.0
    /// for `application/openmetrics-text`, the grest-ts JSON shape for `application/json`, else Prometheus 0.0.4.
    ///
    /// The route is an ordinary contract route (API `name`, method `scrape`): it passes the permission gate with
    /// `permissionResolver`, counts in `grest_http_requests_total`, and strict mode requires a `permission` as for any
    /// route (`.public` for an open scrape endpoint, or a scope with a resolver and the auth `middleware`).
    ///
    /// ```swift
    /// server.exposeMetrics(registry, permission: .public)
    /// server.exposeMetrics(registry, path: "/internal/metrics", permission: .scope("metrics:read"),
    ///                      permissionResolver: scopes, middleware: [auth])
    /// ```
    public func exposeMetrics(
        _ registry: MetricsRegistry, path: String = "/metrics", permission: Permission, permissionResolver: ScopeResolver? = nil,
        middleware: [any TransportMiddleware] = [], filter: MetricsFilter = .all, name: String = "GrestMetrics"
    ) {
        let scrape = ContractMethod("scrape", errors: [NOT_AUTHORIZED, FORBIDDEN], permission: permission)
        let schema = HTTPSchema(Contract(name, scrape)).use(MetricsScrapeMiddleware()).routes { $0.get(scrape, path) }
        register(schema, permissionResolver: permissionResolver, middleware: middleware) { implementation in
            implementation.handleReply(scrape) {
                let format = ScrapeKeys.format.get() ?? .text(.prometheus)
                let body: String
                switch format {
                case .text(let exposition): body = registry.exposition(exposition, filter: filter)
                case .json: body = registry.json(filter: filter)
                }
                try? ScrapeKeys.served.set(true)
                return ContractReply.raw(Array(body.utf8))
            }
        }
    }
}

/// The load of one HTTP server as lazy gauges, read at scrape time.
///
/// - `grest_http_connections_open`: connections open now.
/// - `grest_http_requests_in_flight`: requests whose reply is being computed.
///
/// ```swift
/// try server.registerLoadMetrics(in: registry)
/// ```
extension HTTPServer {
    /// Registers this server's load gauges in `registry` (one server per registry: a second call keeps the first's).
    public func registerLoadMetrics(in registry: MetricsRegistry) throws(MetricsDefinitionError) {
        _ = try registry.lazyGauge("grest_http_connections_open", help: "HTTP connections open now") { [weak self] in
            Double(self?.openConnections ?? 0)
        }
        _ = try registry.lazyGauge("grest_http_requests_in_flight", help: "HTTP requests whose reply is being computed") { [weak self] in
            Double(self?.requestsInFlight ?? 0)
        }
    }
}
