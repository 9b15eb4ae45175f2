import Synchronization

/// Remembers each API's instances for `ttl` (grest-ts asked its backend on every call). When a refresh fails the
/// last snapshot is served (stale) rather than failing calls while a backend restarts; with no snapshot the error
/// passes through. Resolution picks among the cached instances with a ``RoutingStrategy``.
public final class CachingDiscovery: DiscoveryClient {
    public let base: any DiscoveryClient
    public let ttl: Duration
    private let strategy: RoutingStrategy
    private let now: @Sendable () -> ContinuousClock.Instant
    private let cache = Mutex<[String: Entry]>([:])

    private struct Entry {
        var instances: [Endpoint]
        var fetched: ContinuousClock.Instant
    }

    /// - Parameters:
    ///   - now: The clock reading, injectable for tests.
    public init(
        _ base: any DiscoveryClient, ttl: Duration = .seconds(5), strategy: RoutingStrategy = .roundRobin,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.base = base
        self.ttl = ttl
        self.strategy = strategy
        self.now = now
    }

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        let time = now()
        let cached = cache.withLock { $0[api] }
        if let cached, time - cached.fetched < ttl { return cached.instances }
        do {
            let fresh = try await base.instances(api: api)
            cache.withLock { $0[api] = Entry(instances: fresh, fetched: time) }
            return fresh
        } catch {
            if let cached, !cached.instances.isEmpty { return cached.instances }
            throw error
        }
    }

    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        guard let endpoint = strategy.select(from: try await instances(api: api), api: api) else { throw .notRegistered(api: api) }
        return endpoint
    }

    /// Forgets `api` (or everything), so the next call asks the backend: call it after a connection to a cached
    /// instance failed.
    public func invalidate(api: String? = nil) {
        cache.withLock { cache in
            if let api { cache[api] = nil } else { cache.removeAll() }
        }
    }

    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> { base.subscribe(api: api) }
    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await base.register(registrations) }
    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await base.unregister(registrations) }
}
