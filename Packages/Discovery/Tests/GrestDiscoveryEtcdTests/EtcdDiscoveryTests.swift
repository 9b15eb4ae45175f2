import Foundation
import GrestDiscovery
import GrestDiscoveryEtcd
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: EtcdServer.executable() != nil, "etcd is installed by Scripts/bootstrap"))
struct EtcdDiscoveryTests {
    static func replica(_ id: String, port: Int) -> ServiceRegistration {
        ServiceRegistration(api: "UserApi", port: port, pathPrefix: "/api/users", instanceID: id)
    }

    @Test func registersResolvesAndUnregistersPerReplica() async throws {
        let etcd = try EtcdServer()
        try await etcd.start()
        defer { etcd.stop() }
        let a = EtcdDiscovery(endpoint: etcd.url, ttl: .seconds(5))
        let b = EtcdDiscovery(endpoint: etcd.url, ttl: .seconds(5))
        let client = EtcdDiscovery(endpoint: etcd.url, strategy: .roundRobin)
        try await a.register([Self.replica("a", port: 1001)])
        try await b.register([Self.replica("b", port: 1002)])
        #expect(Set(try await client.instances(api: "UserApi").map(\.port)) == [1001, 1002])
        let picks = [try await client.resolve(api: "UserApi").port, try await client.resolve(api: "UserApi").port]
        #expect(Set(picks) == [1001, 1002])
        try await a.unregister([Self.replica("a", port: 1001)])
        #expect(try await client.instances(api: "UserApi").map(\.port) == [1002])
        await #expect(throws: DiscoveryError.notRegistered(api: "OrderApi")) { try await client.resolve(api: "OrderApi") }
    }

    @Test func unreachableAtStartIsAClearError() async throws {
        let port = try EtcdServer.freePort()
        let discovery = EtcdDiscovery(endpoint: URL(string: "http://127.0.0.1:\(port)")!)
        await #expect {
            try await discovery.checkReachable()
        } throws: { error in
            "\(error)".contains("etcd at http://127.0.0.1:\(port) is unreachable")
        }
        await #expect(throws: DiscoveryError.self) { try await discovery.register([Self.replica("a", port: 1)]) }
    }

    @Test func aKilledReplicaExpiresWithinTTLPlusOneSecondAndSubscribersSeeIt() async throws {
        let etcd = try EtcdServer()
        try await etcd.start()
        defer { etcd.stop() }
        let replica = EtcdDiscovery(endpoint: etcd.url, ttl: .seconds(2))
        let survivor = EtcdDiscovery(endpoint: etcd.url, ttl: .seconds(2))
        let watcher = EtcdDiscovery(endpoint: etcd.url)
        var snapshots = watcher.subscribe(api: "UserApi").makeAsyncIterator()
        #expect(try await snapshots.next() == [])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await survivor.run() }
            try await survivor.register([Self.replica("b", port: 1002)])
            #expect(try await snapshots.next()?.map(\.port) == [1002])
            let keepAlive = Task { try await replica.run() }
            try await replica.register([Self.replica("a", port: 1001)])
            #expect(Set(try await snapshots.next()?.map(\.port) ?? []) == [1001, 1002])
            // Outlive the TTL while refreshing: the replica stays.
            try await Task.sleep(for: .seconds(3))
            #expect(Set(try await watcher.instances(api: "UserApi").map(\.port)) == [1001, 1002])
            keepAlive.cancel()  // the replica "dies": no unregister, no more keep-alives
            let died = ContinuousClock.now
            #expect(try await snapshots.next()?.map(\.port) == [1002])
            #expect(ContinuousClock.now - died <= .seconds(3))
            group.cancelAll()
        }
    }

    @Test func etcdLostWhileRunningServesTheLastSnapshotThenReRegisters() async throws {
        let etcd = try EtcdServer()
        try await etcd.start()
        defer { etcd.stop() }
        let replica = EtcdDiscovery(endpoint: etcd.url, ttl: .seconds(2))
        let client = EtcdDiscovery(endpoint: etcd.url)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await replica.run() }
            try await replica.register([Self.replica("a", port: 1001)])
            #expect(try await client.resolve(api: "UserApi").port == 1001)
            etcd.stop()
            #expect(try await client.resolve(api: "UserApi").port == 1001)  // stale, documented
            try await etcd.start(freshData: true)  // a new, empty etcd on the same port: the lease is gone
            let fresh = EtcdDiscovery(endpoint: etcd.url)
            var snapshots = fresh.subscribe(api: "UserApi").makeAsyncIterator()
            var seen = try await snapshots.next()
            while seen?.map(\.port) != [1001] { seen = try await snapshots.next() }
            #expect(seen?.map(\.port) == [1001])
            group.cancelAll()
        }
    }
}
