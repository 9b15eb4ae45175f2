/// Moves from one discovery backend to another (grest-ts `GGMigrationServiceDiscovery`): registers in both,
/// resolves from `primary` and, when it fails or knows no instance, from `secondary`.
public struct FallbackDiscovery: DiscoveryClient {
    public let primary: any DiscoveryClient
    public let secondary: any DiscoveryClient

    public init(primary: any DiscoveryClient, secondary: any DiscoveryClient) {
        self.primary = primary
        self.secondary = secondary
    }

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        if let found = try? await primary.instances(api: api), !found.isEmpty { return found }
        return try await secondary.instances(api: api)
    }

    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        do {
            return try await primary.resolve(api: api)
        } catch {
            return try await secondary.resolve(api: api)
        }
    }

    /// Follows `primary` only: a subscription is for the backend being migrated to.
    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        primary.subscribe(api: api)
    }

    /// Registers in both; the first failure is reported after both were tried.
    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        var failure: DiscoveryError?
        do { try await primary.register(registrations) } catch { failure = error }
        do { try await secondary.register(registrations) } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        var failure: DiscoveryError?
        do { try await primary.unregister(registrations) } catch { failure = error }
        do { try await secondary.unregister(registrations) } catch { failure = failure ?? error }
        if let failure { throw failure }
    }
}
