import GrestDiscovery
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct InMemoryDiscoveryTests {
    static func replica(_ id: String, port: Int, api: String = "UserApi") -> ServiceRegistration {
        ServiceRegistration(api: api, port: port, pathPrefix: "/api/users", instanceID: id)
    }

    @Test func unregisteringOneReplicaKeepsItsSiblings() async throws {
        let discovery = InMemoryDiscovery()
        try await discovery.register([Self.replica("a", port: 1), Self.replica("b", port: 2)])
        try await discovery.unregister([Self.replica("a", port: 1)])
        #expect(try await discovery.instances(api: "UserApi").map(\.port) == [2])
    }

    @Test func reRegisteringReplacesTheSameInstance() async throws {
        let discovery = InMemoryDiscovery()
        try await discovery.register([Self.replica("a", port: 1)])
        try await discovery.register([Self.replica("a", port: 5)])
        #expect(try await discovery.instances(api: "UserApi").map(\.port) == [5])
    }

    @Test func malformedRegistrationsAreRefusedWhole() async throws {
        let discovery = InMemoryDiscovery()
        await #expect(throws: DiscoveryError.self) {
            try await discovery.register([Self.replica("a", port: 1), Self.replica("b", port: 0)])
        }
        #expect(try await discovery.instances(api: "UserApi").isEmpty)
    }

    @Test func removingAnInstanceEvictsAllItsAPIs() async throws {
        let discovery = InMemoryDiscovery()
        try await discovery.register([Self.replica("a", port: 1), Self.replica("a", port: 1, api: "OrderApi"), Self.replica("b", port: 2)])
        discovery.removeInstance("a")
        #expect(try await discovery.instances(api: "UserApi").map(\.port) == [2])
        #expect(try await discovery.instances(api: "OrderApi").isEmpty)
        await #expect(throws: DiscoveryError.notRegistered(api: "OrderApi")) { try await discovery.resolve(api: "OrderApi") }
    }

    @Test func subscribersSeeEverySnapshot() async throws {
        let discovery = InMemoryDiscovery()
        var iterator = discovery.subscribe(api: "UserApi").makeAsyncIterator()
        #expect(try await iterator.next() == [])
        try await discovery.register([Self.replica("a", port: 1)])
        #expect(try await iterator.next()?.map(\.port) == [1])
        try await discovery.register([Self.replica("b", port: 2)])
        #expect(try await iterator.next()?.map(\.port) == [1, 2])
        discovery.removeInstance("a")
        #expect(try await iterator.next()?.map(\.port) == [2])
    }

    @Test func strategiesPick() async throws {
        let replicas = [Self.replica("a", port: 1), Self.replica("b", port: 2), Self.replica("c", port: 3)]
        func picks(_ strategy: RoutingStrategy, count: Int = 4) async throws -> [Int] {
            let discovery = InMemoryDiscovery(strategy: strategy, registrations: replicas)
            var ports: [Int] = []
            for _ in 0..<count { ports.append(try await discovery.resolve(api: "UserApi").port) }
            return ports
        }
        #expect(try await picks(.first) == [1, 1, 1, 1])
        #expect(try await picks(.last) == [3, 3, 3, 3])
        #expect(try await picks(.roundRobin) == [1, 2, 3, 1])
        #expect(Set(try await picks(.random, count: 200)) == [1, 2, 3])
        #expect(try await picks(RoutingStrategy { instances, _ in instances.first { $0.port == 2 } }) == [2, 2, 2, 2])
    }

    @Test func listingInstancesDoesNotAdvanceRoundRobin() async throws {
        let discovery = InMemoryDiscovery(registrations: [Self.replica("a", port: 1), Self.replica("b", port: 2)])
        _ = try await discovery.instances(api: "UserApi")
        #expect(try await discovery.resolve(api: "UserApi").port == 1)
    }
}

/// Counts the calls that reach the wrapped backend and can be made to fail.
final class CountingDiscovery: DiscoveryClient {
    let inner: InMemoryDiscovery
    let calls = Atomic<Int>(0)
    let failing = Atomic<Bool>(false)

    init(_ inner: InMemoryDiscovery) { self.inner = inner }

    func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        calls.add(1, ordering: .relaxed)
        if failing.load(ordering: .relaxed) { throw .unavailable("down") }
        return try await inner.instances(api: api)
    }
    func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> { inner.subscribe(api: api) }
    func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await inner.register(registrations) }
    func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { try await inner.unregister(registrations) }
}

@Suite struct DecoratorTests {
    @Test func cachingAsksTheBackendOncePerTTL() async throws {
        let backend = CountingDiscovery(InMemoryDiscovery(registrations: [InMemoryDiscoveryTests.replica("a", port: 1)]))
        let clock = Mutex(ContinuousClock.now)
        let caching = CachingDiscovery(backend, ttl: .seconds(5), now: { clock.withLock { $0 } })
        for _ in 0..<10 { _ = try await caching.resolve(api: "UserApi") }
        #expect(backend.calls.load(ordering: .relaxed) == 1)
        clock.withLock { $0 = $0.advanced(by: .seconds(6)) }
        _ = try await caching.resolve(api: "UserApi")
        #expect(backend.calls.load(ordering: .relaxed) == 2)
        caching.invalidate(api: "UserApi")
        _ = try await caching.resolve(api: "UserApi")
        #expect(backend.calls.load(ordering: .relaxed) == 3)
    }

    @Test func cachingServesTheLastSnapshotWhileTheBackendIsDown() async throws {
        let backend = CountingDiscovery(InMemoryDiscovery(registrations: [InMemoryDiscoveryTests.replica("a", port: 1)]))
        let caching = CachingDiscovery(backend, ttl: .zero)
        #expect(try await caching.resolve(api: "UserApi").port == 1)
        backend.failing.store(true, ordering: .relaxed)
        #expect(try await caching.resolve(api: "UserApi").port == 1)
        await #expect(throws: DiscoveryError.unavailable("down")) { try await caching.resolve(api: "OrderApi") }
    }

    @Test func fallbackReadsTheSecondaryWhenThePrimaryKnowsNothing() async throws {
        let primary = InMemoryDiscovery()
        let secondary = try StaticDiscovery(["UserApi": "http://old:1"])
        let fallback = FallbackDiscovery(primary: primary, secondary: secondary)
        #expect(try await fallback.resolve(api: "UserApi").url == "http://old:1")
        try await fallback.register([InMemoryDiscoveryTests.replica("a", port: 2)])
        #expect(try await fallback.resolve(api: "UserApi").url == "http://127.0.0.1:2")
        #expect(try await fallback.instances(api: "UserApi").map(\.port) == [2])
    }
}
