import GrestDiscovery
import GrestDiscoveryLocal
import GrestHTTP
import GrestSchema
import GrestWebSocket
import Testing

enum EchoSocket {
    static let whoami = ContractMethod("whoami", success: IsNote)
    static let schema = webSocketSchema(SocketContract("EchoSocket", clientToServer: [whoami], serverToClient: [])).path("ws/echo").done()
}

@Suite(.timeLimit(.minutes(1)))
struct WebSocketProxyTests {
    @Test func upgradesAreTunnelledToReplicasRoundRobin() async throws {
        var servers: [HTTPServer] = []
        let router = LocalDiscoveryRouter()
        try await router.start()
        for name in ["a", "b"] {
            let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
            try server.register(EchoSocket.schema) { socket in try socket.incoming.on(EchoSocket.whoami) { Note(text: name) } }
            try await server.start()
            servers.append(server)
            try await router.registry.register([ServiceRegistration(api: "EchoSocket", scheme: .ws, port: server.port!, pathPrefix: "ws/echo", instanceID: name)])
        }
        var seen: Set<String> = []
        for _ in 0..<2 {
            let client = EchoSocket.schema.createClient(url: "ws://127.0.0.1:\(router.port!)")
            try await client.connect()
            let first = try await client.outgoing.call(EchoSocket.whoami).text
            // The same socket stays on its replica for every call.
            #expect(try await client.outgoing.call(EchoSocket.whoami).text == first)
            seen.insert(first)
            await client.close()
        }
        #expect(seen == ["a", "b"])
        await router.shutdown()
        for server in servers { await server.shutdown() }
    }
}
