import GrestDiscovery
import GrestDiscoveryIntegration
import GrestDiscoveryLocal
import GrestHTTP
import GrestWebSocketTransport
import Synchronization
import Testing
import GrestSchema

@Suite(.timeLimit(.minutes(1)))
struct RouterStressTests {
    /// Requests keep flowing while replicas die: each call ends (success, or an error reply), none hangs, and
    /// once the dead replicas are ejected every call lands on the survivor.
    @Test func replicasDyingUnderLoadNeverHangAClient() async throws {
        let servers = [try await server("a"), try await server("b"), try await server("c")]
        let router = LocalDiscoveryRouter()
        try await router.start()
        for (index, server) in servers.enumerated() { try await router.registry.register(registrations(server, "r\(index)")) }
        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        let outcomes = Outcomes()
        let total = 10_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for call in 0..<(total / 8) {
                        if worker == 0 && call == 300 { await servers[0].shutdown() }
                        if worker == 0 && call == 600 { await servers[1].shutdown() }
                        let result = await client.result(PingApi.whoami)
                        if result.error == nil { outcomes.ok.add(1, ordering: .relaxed) } else { outcomes.failed.add(1, ordering: .relaxed) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let (ok, failed) = (outcomes.ok.load(ordering: .relaxed), outcomes.failed.load(ordering: .relaxed))
        #expect(ok + failed == total)
        #expect(failed <= 16, "only requests already in flight on a dying replica may fail")
        for _ in 0..<5 { #expect(try await client.call(PingApi.whoami).text == "c") }
        await client.shutdown()
        await router.shutdown()
        await servers[2].shutdown()
    }

    @Test func aThousandRegistrationsAreAcceptedInUnderASecond() async throws {
        let router = LocalDiscoveryRouter()
        try await router.start()
        let start = ContinuousClock.now
        for index in 0..<1_000 {
            try await router.registry.register([ServiceRegistration(api: "Api\(index)", port: 10_000 + index, pathPrefix: "api/\(index)", instanceID: "i\(index)")])
        }
        #expect(ContinuousClock.now - start < .seconds(1), "1 000 registrations in under a second")
        #expect(router.registry.registrations().count == 1_000)
        await router.shutdown()
    }

    /// The same over the framework connection, as services register: 1 000 `discovery/register` requests sent
    /// back to back on one connection are all answered within a second, and the router keeps proxying meanwhile.
    @Test func aThousandIPCRegistrationsPerSecondOverTheFrameworkConnection() async throws {
        let server = try await server("live")
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.registry.register(registrations(server, "live"))
        let live = router.registry.registrations()
        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(router.port!)/__ggFrameworkConnection?runtimeId=load")
        let start = ContinuousClock.now
        for index in 0..<1_000 {
            let entry = "[{\"api\":\"Api\(index)\",\"baseUrl\":\"http://127.0.0.1:\(10_000 + index)\",\"pathPrefix\":\"/api/\(index)\"}]"
            try await connection.send(text: "r:\(index):discovery/register:\(entry)")
        }
        var answered = 0
        var failed: [String] = []
        for try await message in connection.inbound {
            guard case .text(let text) = message else { continue }
            if !text.hasSuffix(":{\"success\":true}") { failed.append(text) }
            answered += 1
            if answered == 1_000 { break }
        }
        let elapsed = ContinuousClock.now - start
        #expect(failed.isEmpty, "\(failed.prefix(3))")
        #expect(elapsed < .seconds(1), "1 000 registrations over IPC took \(elapsed)")
        #expect(router.registry.registrations().count == live.count + 1_000)
        #expect(try await client.call(PingApi.whoami).text == "live", "the router still proxies")
        _ = try await connection.close()
        // The connection owned them: closing it takes all 1 000 away, the live replica stays.
        let deadline = ContinuousClock.now + .seconds(5)
        while router.registry.registrations().count != live.count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(router.registry.registrations() == live)
        await client.shutdown()
        await router.shutdown()
        await server.shutdown()
    }
}

final class Outcomes: Sendable {
    let ok = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}
