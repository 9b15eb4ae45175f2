import GrestMiddleware
import GrestSchema

/// Everything the server needs to answer one route, frozen at start.
final class RouteEndpoint: Sendable {
    let api: String
    let route: HTTPRoute
    let qualifiedName: String
    let parameterNames: [String]
    let hasInput: Bool
    let permission: Permission?
    let resolver: ScopeResolver?
    let middleware: [any TransportMiddleware]
    let maxBodyBytes: Int
    let handler: HTTPImplementation.Handler
    let metrics: RouteMetrics

    init(
        api: String, route: HTTPRoute, resolver: ScopeResolver?, middleware: [any TransportMiddleware], defaultMaxBodyBytes: Int,
        handler: @escaping HTTPImplementation.Handler, metrics: RouteMetrics
    ) {
        self.api = api
        self.route = route
        self.qualifiedName = api + "." + route.methodName
        self.parameterNames = route.path.parameterNames
        self.hasInput = route.descriptor.input != nil
        self.permission = route.descriptor.permission
        self.resolver = resolver
        self.middleware = middleware
        self.maxBodyBytes = route.maxBodyBytes ?? route.descriptor.maxBodyBytes ?? defaultMaxBodyBytes
        self.handler = handler
        self.metrics = metrics
    }
}
