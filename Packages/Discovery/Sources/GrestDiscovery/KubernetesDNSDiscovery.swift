/// Resolves APIs by Kubernetes Service DNS names (`service.namespace.svc.cluster.local:port`); Kubernetes does the
/// registration and health. grest-ts's ConfigMap registry (which overwrote other services' entries) is left out.
///
/// ```swift
/// let discovery = KubernetesDNSDiscovery(namespace: "shop", services: ["UserApi": .init(name: "users", port: 8080)])
/// try await discovery.resolve(api: "UserApi")   // http://users.shop.svc.cluster.local:8080
/// ```
public struct KubernetesDNSDiscovery: DiscoveryClient {
    /// Where one API is served in the cluster. The port is required: grest-ts defaulted it to 8080.
    public struct Service: Sendable, Hashable {
        public var name: String
        public var namespace: String?
        public var port: Int
        public var scheme: String

        public init(name: String, namespace: String? = nil, port: Int, scheme: String = "http") {
            self.name = name
            self.namespace = namespace
            self.port = port
            self.scheme = scheme
        }
    }

    public let namespace: String
    public let clusterDomain: String
    /// `true` gives `http://service:port` (same namespace only), as grest-ts's `useShortNames`.
    public let usesShortNames: Bool
    public let services: [String: Service]

    public init(namespace: String = "default", clusterDomain: String = "cluster.local", usesShortNames: Bool = false, services: [String: Service]) {
        self.namespace = namespace
        self.clusterDomain = clusterDomain
        self.usesShortNames = usesShortNames
        self.services = services
    }

    /// `service.namespace.svc.cluster.local` (grest-ts `discoverApiViaDns`).
    public static func hostname(service: String, namespace: String = "default", clusterDomain: String = "cluster.local") -> String {
        "\(service).\(namespace).svc.\(clusterDomain)"
    }

    /// The endpoint for `service`, by this resolver's naming settings.
    public func endpoint(for service: Service) -> Endpoint {
        let host =
            usesShortNames && service.namespace == nil
            ? service.name
            : Self.hostname(service: service.name, namespace: service.namespace ?? namespace, clusterDomain: clusterDomain)
        return Endpoint(scheme: service.scheme, host: host, port: service.port)
    }

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        services[api].map { [endpoint(for: $0)] } ?? []
    }

    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self)
        continuation.yield(services[api].map { [endpoint(for: $0)] } ?? [])
        return stream
    }

    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {}
    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {}
}
