public import GrestDiscovery
public import GrestHTTP
public import NIOCore
public import NIOPosix

extension HTTPClient {
    /// A client without a URL (grest-ts `createClient()` with discovery): every call resolves the schema's API
    /// through `discovery` (wrapped in a ``CachingDiscovery`` unless it is one), so calls follow replicas as they
    /// come and go. A failed resolution is `SERVER_ERROR` "Service discovery failed" whose debug message is the
    /// discovery error (`Service 'X' is not registered! Did you forget to start it?`).
    ///
    /// ```swift
    /// let users = HTTPClient(UsersHTTP, discovery: discovery)
    /// let user = try await users.call(UsersApi.get, UserID(id: "1"))
    /// ```
    public convenience init(
        _ schema: HTTPSchema, discovery: any DiscoveryClient, configuration: HTTPClientConfiguration = .init(),
        middleware: [any TransportMiddleware] = [], eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        let resolver = discovery as? CachingDiscovery ?? CachingDiscovery(discovery)
        let api = schema.name
        let prefix = schema.pathPrefix
        self.init(
            schema,
            baseURLLookup: {
                // Origin only: a URL configured with the prefix (grest-ts's documented form) loses its copy here.
                try await resolver.resolve(api: api).http.removingTrailing(pathPrefix: prefix).url
            },
            configuration: configuration, middleware: middleware, eventLoopGroup: eventLoopGroup)
    }
}

