import GrestDiscovery
import GrestDiscoveryLocal
import GrestHTTP
import Testing

@Suite(.timeLimit(.minutes(1)))
struct LeaderElectionTests {
    /// Three participants on one port: one leads, two follow; the leader dies, the other two elect a new one and
    /// every surviving route is back through the same origin.
    @Test func followersReElectAndReRegisterAfterTheLeaderDies() async throws {
        let port = try await freePort()
        let servers = [try await server("s0"), try await server("s1"), try await server("s2")]
        let clients = (0..<3).map { LocalDiscoveryClient(port: port, runtime: "p\($0)") }
        for (index, client) in clients.enumerated() {
            try await client.register([ServiceRegistration(api: "PingApi", port: servers[index].port!, pathPrefix: "api/ping", instanceID: "s\(index)")])
        }
        var tasks: [Task<Void, any Error>] = []
        var roles: [Set<LocalDiscoveryClient.Role>] = []
        for client in clients {
            var changes = client.roleChanges.makeAsyncIterator()
            tasks.append(Task { try await client.run() })
            roles.append([await changes.next()!])
        }
        #expect(roles.filter { $0 == [.leader] }.count == 1)
        #expect(roles.filter { $0 == [.follower] }.count == 2)
        let router = HTTPClient(PingApi.http, baseURL: "http://127.0.0.1:\(port)")
        #expect(try await names(router, calls: 6) == ["s0", "s1", "s2"])

        let leader = clients.firstIndex { $0.role == .leader }!
        let died = ContinuousClock.now
        tasks[leader].cancel()
        _ = try await tasks[leader].value
        await servers[leader].shutdown()
        let survivors = Set((0..<3).filter { $0 != leader }.map { "s\($0)" })
        // Every route comes back within 5 s: the survivors elect, re-register, and the origin serves both.
        var seen: Set<String> = []
        while seen != survivors, ContinuousClock.now - died < .seconds(5) {
            seen = (try? await names(router, calls: 4)) ?? []
            if seen != survivors { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(seen == survivors)
        #expect(ContinuousClock.now - died < .seconds(5))
        #expect(clients.filter { $0.role == .leader }.count == 1)

        await router.shutdown()
        for task in tasks { task.cancel() }
        for task in tasks { _ = try? await task.value }
        for server in servers { await server.shutdown() }
    }

    /// A follower's subscription sees registrations come and go on the leader (it asks every interval).
    @Test func aFollowersSubscriptionFollowsRegistrationChanges() async throws {
        let port = try await freePort()
        let leader = LocalDiscoveryClient(port: port, runtime: "leader", subscriptionInterval: .milliseconds(20))
        let follower = LocalDiscoveryClient(port: port, runtime: "follower", subscriptionInterval: .milliseconds(20))
        var leaderRoles = leader.roleChanges.makeAsyncIterator()
        let leading = Task { try await leader.run() }
        #expect(await leaderRoles.next() == .leader)
        var followerRoles = follower.roleChanges.makeAsyncIterator()
        let following = Task { try await follower.run() }
        #expect(await followerRoles.next() == .follower)

        var snapshots = follower.subscribe(api: "PingApi").makeAsyncIterator()
        #expect(try await snapshots.next() == [])
        let registration = ServiceRegistration(api: "PingApi", port: 1234, pathPrefix: "api/ping", instanceID: "r1")
        try await leader.register([registration])
        #expect(try await snapshots.next() == [follower.origin])
        try await leader.unregister([registration])
        #expect(try await snapshots.next() == [])

        for task in [leading, following] { task.cancel() }
        for task in [leading, following] { _ = try? await task.value }
    }
}

func names(_ client: HTTPClient, calls: Int) async throws -> Set<String> {
    var names: Set<String> = []
    for _ in 0..<calls { names.insert(try await client.call(PingApi.whoami).text) }
    return names
}

/// A port nobody listens on now (bound and released).
func freePort() async throws -> Int {
    let probe = LocalDiscoveryRouter()
    try await probe.start()
    let port = probe.port!
    await probe.shutdown()
    return port
}
