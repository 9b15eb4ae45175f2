import GrestDiscovery
import GrestDiscoveryIntegration
import GrestDiscoveryLocal
import GrestHTTP
import Testing

@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: NodeIPCPeer.isAvailable, "node and ws are installed by Scripts/bootstrap"))
struct IPCTests {
    static func entry(_ server: HTTPServer) -> String {
        "[{\"api\":\"PingApi\",\"baseUrl\":\"http://localhost:\(server.port!)\",\"pathPrefix\":\"/api/ping\"}]"
    }

    @Test func aTypeScriptPeerRegistersAndItsCrashEvictsOnlyItsRoutes() async throws {
        let (a, b) = (try await server("a"), try await server("b"))
        let router = LocalDiscoveryRouter()
        try await router.start()
        let peerA = try NodeIPCPeer(port: router.port!, runtime: "ts-a")
        let peerB = try NodeIPCPeer(port: router.port!, runtime: "ts-b")
        #expect(await peerA.next() == "open")
        #expect(await peerB.next() == "open")
        #expect(await peerA.request("r:1:discovery/register:\(Self.entry(a))") == "s:1:discovery/register:{\"success\":true}")
        #expect(await peerB.request("r:1:discovery/register:\(Self.entry(b))") == "s:1:discovery/register:{\"success\":true}")
        #expect(
            await peerA.request("r:2:discovery/discoverApi:\"PingApi\"")
                == "s:2:discovery/discoverApi:{\"success\":true,\"data\":{\"success\":true,\"url\":\"http://127.0.0.1:\(router.port!)\"}}")

        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        var seen: Set<String> = []
        for _ in 0..<4 { seen.insert(try await client.call(PingApi.whoami).text) }
        #expect(seen == ["a", "b"])
        // The route table, for tools: both replicas, each under the connection that owns it.
        let info = await peerA.request("r:9:discovery/getServerInfo") ?? ""
        #expect(info.hasPrefix("s:9:discovery/getServerInfo:{\"success\":true,\"data\":{\"kind\":\"embedded\",\"routes\":["))
        #expect(info.contains("\"baseUrl\":\"http://127.0.0.1:\(a.port!)\",\"pathPrefix\":\"/api/ping\",\"instanceId\":\"client-"))
        #expect(info.contains("\"baseUrl\":\"http://127.0.0.1:\(b.port!)\",\"pathPrefix\":\"/api/ping\""))

        peerA.kill()  // SIGKILL: no unregister, only the connection drops
        var snapshots = router.registry.subscribe(api: "PingApi").makeAsyncIterator()
        while try await snapshots.next()?.count != 1 {}
        #expect(router.registry.registrations(api: "PingApi").map(\.runtime) == ["ts-b"])
        for _ in 0..<3 { #expect(try await client.call(PingApi.whoami).text == "b") }

        // Graceful per-replica unregister: b's own entry goes, nothing else.
        #expect(await peerB.request("r:3:discovery/unregister:\(Self.entry(b))") == "s:3:discovery/unregister:{\"success\":true}")
        #expect(router.registry.registrations().isEmpty)
        peerB.kill()
        await client.shutdown()
        await router.shutdown()
        await a.shutdown()
        await b.shutdown()
    }

    @Test func badInputGetsErrorRepliesAndNeverBreaksTheRouter() async throws {
        let router = LocalDiscoveryRouter()
        try await router.start()
        let peer = try NodeIPCPeer(port: router.port!, runtime: "mallory")
        #expect(await peer.next() == "open")
        #expect(await peer.request("r:1:discovery/nothing:{}") == "s:1:discovery/nothing:{\"success\":false,\"error\":\"No handler for: discovery/nothing\"}")
        let notArray = await peer.request("r:2:discovery/register:{\"api\":\"X\"}")
        #expect(notArray?.hasPrefix("s:2:discovery/register:{\"success\":false") == true)
        let badJSON = await peer.request("r:3:discovery/register:[{\"api\":")
        #expect(badJSON?.hasPrefix("s:3:discovery/register:{\"success\":false") == true)
        let remote = await peer.request("r:4:discovery/register:[{\"api\":\"X\",\"baseUrl\":\"http://10.0.0.8:80\"}]")
        #expect(remote?.contains("is not loopback") == true)
        let badPort = await peer.request("r:5:discovery/register:[{\"api\":\"X\",\"protocol\":\"http\",\"port\":70000}]")
        #expect(badPort?.contains("port 70000 is not 1...65535") == true)
        #expect(await peer.request("r:6:discovery/requestYield") == "s:6:discovery/requestYield:{\"success\":false,\"error\":\"requestYield refused: this router does not yield its port to clients\"}")
        #expect(await peer.request("r:7:discovery/getServerInfo") == "s:7:discovery/getServerInfo:{\"success\":true,\"data\":{\"kind\":\"embedded\",\"routes\":[]}}")
        peer.send("garbage without colons")
        #expect(
            await peer.request("r:8:discovery/discoverApi:\"Nope\"")
                == "s:8:discovery/discoverApi:{\"success\":true,\"data\":{\"success\":false,\"error\":\"Service 'Nope' is not registered! Did you forget to start it?\"}}")
        #expect(router.registry.registrations().isEmpty)
        peer.kill()
        await router.shutdown()
    }
}
