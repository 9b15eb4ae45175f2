import GrestDiscovery
import GrestDiscoveryIntegration
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import Logging
import ServiceLifecycle
import Testing

enum ChatSocket {
    static let whoami = ContractMethod("whoami", success: IsNote)
    static let schema = webSocketSchema(SocketContract("ChatSocket", clientToServer: [whoami], serverToClient: [])).path("ws/chat").done()

    /// A server whose socket answers `whoami` with `name`, registered in `registry` as instance `name`.
    static func replica(_ name: String, registry: InMemoryDiscovery) throws -> (DiscoveryRegistrationService, ServiceGroup) {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
        try server.register(schema) { socket in try socket.incoming.on(whoami) { Note(text: name) } }
        let service = DiscoveryRegistrationService(server: server, discovery: registry, sockets: [schema.discoverable], instanceID: name)
        return (service, ServiceGroup(services: [service], logger: Logger(label: name)))
    }
}

@Suite(.timeLimit(.minutes(1)))
struct SocketReconnectTests {
    @Test func aReconnectingClientResolvesAgainAndMovesToTheLiveReplica() async throws {
        let registry = InMemoryDiscovery()
        let (_, groupA) = try ChatSocket.replica("a", registry: registry)
        let (_, groupB) = try ChatSocket.replica("b", registry: registry)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await groupA.run() }
            tasks.addTask { try await groupB.run() }
            _ = try await waitFor(registry, api: "ChatSocket") { $0.count == 2 }

            var configuration = SocketClientConfiguration()
            configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100), jitter: .none)
            let client = try await ChatSocket.schema.createClient(discovery: registry, configuration: configuration)
            let (connects, connected) = AsyncStream.makeStream(of: Void.self)
            client.onConnect { connected.yield() }
            var connections = connects.makeAsyncIterator()
            try await client.connect()
            await connections.next()
            let first = try await client.outgoing.call(ChatSocket.whoami).text
            let (dying, surviving) = first == "a" ? (groupA, "b") : (groupB, "a")

            // The replica the client is on shuts down (withdrawn first, then its sockets close): the client
            // reconnects, resolves again and lands on the other one.
            await dying.triggerGracefulShutdown()
            await connections.next()
            #expect(try await client.outgoing.call(ChatSocket.whoami).text == surviving)
            await client.close()
            await (first == "a" ? groupB : groupA).triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
