public import GrestMiddleware
public import GrestSchema

/// A contract exposed over HTTP: a path prefix, middleware and one route per method
/// (grest-ts `httpSchema(contract).pathPrefix(p).use(mw).routes({...})`).
///
/// The same value drives the server (``HTTPServer/register(_:permissionResolver:middleware:_:)``) and the
/// typed client (``HTTPClient``).
///
/// ```swift
/// let ItemsHTTP = HTTPSchema(ItemsApi.contract, pathPrefix: "api/items")
///     .use(BearerAuth(...))
///     .routes { r in
///         r.get(ItemsApi.get, "/:id")
///         r.post(ItemsApi.create, "/")
///     }
/// ```
public struct HTTPSchema: Sendable {
    public let contract: Contract
    /// The prefix every route path starts with (`api/items`).
    public let pathPrefix: String
    /// Middleware run for every route of this schema, in order.
    public private(set) var middleware: [any TransportMiddleware] = []
    public private(set) var routes: [HTTPRoute] = []

    /// The contract's name, which is also the metrics `api` label.
    public var name: String { contract.name }

    public init(_ contract: Contract, pathPrefix: String = "") {
        self.contract = contract
        self.pathPrefix = pathPrefix
    }

    /// Adds middleware (run after any added before).
    public func use(_ middleware: any TransportMiddleware...) -> HTTPSchema {
        var copy = self
        copy.middleware += middleware
        return copy
    }

    /// Declares the routes.
    public func routes(_ build: (inout HTTPRoutes) -> Void) -> HTTPSchema {
        var table = HTTPRoutes(prefix: pathPrefix)
        build(&table)
        var copy = self
        copy.routes += table.routes
        return copy
    }

    /// The route bound to the method named `name`.
    public func route(for name: String) -> HTTPRoute? {
        routes.first { $0.methodName == name }
    }

    /// Definition mistakes: routes to methods the contract lacks, methods without a route, a method routed twice.
    var definitionProblems: [String] {
        var problems: [String] = []
        var seen: Set<String> = []
        for route in routes {
            if contract.method(named: route.methodName) == nil {
                problems.append("Route \(route.httpMethod.rawValue) \(route.path) is bound to \(name).\(route.methodName), which the contract does not define")
            }
            if !seen.insert(route.methodName).inserted {
                problems.append("\(name).\(route.methodName) is routed twice")
            }
            if let limit = route.maxBodyBytes, limit <= 0 {
                problems.append("\(name).\(route.methodName): maxBodyBytes must be a positive integer")
            }
        }
        for method in contract.methods where !seen.contains(method.name) {
            problems.append("Route missing for \(name).\(method.name)")
        }
        return problems
    }
}
