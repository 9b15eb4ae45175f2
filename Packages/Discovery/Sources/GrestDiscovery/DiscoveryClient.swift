/// Finds the instances of an API by name, and publishes this process's own (grest-ts `GGDiscoveryClient`).
///
/// The shape mirrors apple/swift-service-discovery (`lookup` → ``instances(api:)``, `subscribe` → ``subscribe(api:)``,
/// `HostPort` → ``Endpoint/hostPort``) so that an adapter to that protocol stays a thin wrapper. Every answer is an
/// ``Endpoint``: an origin only; clients append the schema's path prefix.
///
/// ```swift
/// let discovery = try StaticDiscovery(["UserApi": "http://users.internal:8080"])
/// let origin = try await discovery.resolve(api: "UserApi")       // http://users.internal:8080
/// for try await replicas in discovery.subscribe(api: "UserApi") { print(replicas) }
/// ```
public protocol DiscoveryClient: Sendable {
    /// Every live instance of `api`, possibly empty.
    func instances(api: String) async throws(DiscoveryError) -> [Endpoint]
    /// One instance to call now. Throws ``DiscoveryError/notRegistered(api:)`` when there is none.
    func resolve(api: String) async throws(DiscoveryError) -> Endpoint
    /// The instances of `api` now and after every change, until the task iterating it is cancelled.
    func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error>
    /// Publishes registrations of this process (idempotent per api + instance id).
    func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError)
    /// Withdraws exactly these registrations (per replica: siblings with other instance ids stay).
    func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError)
}

extension DiscoveryClient {
    /// The first instance; backends with a routing strategy override it.
    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        guard let first = try await instances(api: api).first else { throw .notRegistered(api: api) }
        return first
    }

    /// swift-service-discovery's name for ``instances(api:)``.
    public func lookup(_ api: String) async throws(DiscoveryError) -> [HostPort] {
        try await instances(api: api).map(\.hostPort)
    }
}
