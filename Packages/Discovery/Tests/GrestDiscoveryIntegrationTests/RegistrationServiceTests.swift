import GrestDiscovery
import GrestDiscoveryIntegration
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import Logging
import ServiceLifecycle
import Testing

struct Note: Sendable, Equatable { var text: String }
let IsNote = IsObject(Note.init, field("text", \.text, IsString.nonEmpty))

enum PingApi {
    static let whoami = ContractMethod("whoami", success: IsNote)
    static let http = HTTPSchema(Contract("PingApi", whoami), pathPrefix: "api/ping").routes { $0.get(whoami, "/whoami") }
}

/// A server answering `whoami` with `name`.
func pingServer(_ name: String) -> HTTPServer {
    let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
    server.register(PingApi.http) { impl in impl.handle(PingApi.whoami) { Note(text: name) } }
    return server
}

/// Waits for the first snapshot of `api` that satisfies `condition` (driven by change notifications, not polling).
func waitFor(_ discovery: InMemoryDiscovery, api: String, _ condition: ([Endpoint]) -> Bool) async throws -> [Endpoint] {
    for try await snapshot in discovery.subscribe(api: api) where condition(snapshot) { return snapshot }
    throw CancellationError()
}

@Suite(.timeLimit(.minutes(1)))
struct RegistrationServiceTests {
    @Test func publishesTheBoundPortsAndWithdrawsFirstOnGracefulShutdown() async throws {
        let registry = InMemoryDiscovery()
        let a = DiscoveryRegistrationService(server: pingServer("a"), discovery: registry, sockets: [DiscoverableSocket(api: "ChatSocket", path: "/ws")], instanceID: "a")
        let b = DiscoveryRegistrationService(server: pingServer("b"), discovery: registry, instanceID: "b")
        let groupA = ServiceGroup(services: [a], logger: Logger(label: "a"))
        let groupB = ServiceGroup(services: [b], logger: Logger(label: "b"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await groupA.run() }
            tasks.addTask { try await groupB.run() }
            let both = try await waitFor(registry, api: "PingApi") { $0.count == 2 }
            #expect(Set(both.map(\.port)) == [a.server.port!, b.server.port!])
            #expect(!both.contains { $0.port == 0 })
            let sockets = registry.registrations(api: "ChatSocket")
            #expect(sockets.map(\.scheme) == [.ws])
            #expect(sockets.map(\.pathPrefix) == ["/ws"])
            #expect(registry.registrations(api: "PingApi").map(\.pathPrefix) == ["/api/ping", "/api/ping"])

            // Round-robin through discovery reaches both replicas, with the prefix appended once.
            let client = HTTPClient(PingApi.http, discovery: CachingDiscovery(registry, ttl: .zero))
            var seen: Set<String> = []
            for _ in 0..<4 { seen.insert(try await client.call(PingApi.whoami).text) }
            #expect(seen == ["a", "b"])

            // A's graceful shutdown withdraws A only (per replica); B keeps serving every call.
            await groupA.triggerGracefulShutdown()
            let left = try await waitFor(registry, api: "PingApi") { $0.count == 1 }
            #expect(left.map(\.port) == [b.server.port!])
            #expect(registry.registrations(api: "ChatSocket").isEmpty)
            for _ in 0..<3 { #expect(try await client.call(PingApi.whoami).text == "b") }
            await client.shutdown()
            await groupB.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(registry.registrations().isEmpty)
    }

    @Test func aFailedRegistrationStopsTheServerAndIsThrown() async throws {
        struct Refusing: DiscoveryClient {
            func instances(api: String) async throws(DiscoveryError) -> [Endpoint] { [] }
            func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> { AsyncThrowingStream { $0.finish() } }
            func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) { throw .unavailable("etcd down") }
            func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {}
        }
        let server = pingServer("a")
        let service = DiscoveryRegistrationService(server: server, discovery: Refusing())
        await #expect(throws: DiscoveryError.unavailable("etcd down")) { try await service.run() }
        await server.waitUntilStopped()
    }
}

@Suite(.timeLimit(.minutes(1)))
struct DiscoveryClientTests {
    @Test func anUnknownAPIIsServiceDiscoveryFailed() async throws {
        let client = HTTPClient(PingApi.http, discovery: InMemoryDiscovery())
        await #expect {
            try await client.call(PingApi.whoami)
        } throws: { error in
            guard let error = error as? ServiceError else { return false }
            return error.type == "SERVER_ERROR" && error.displayMessage == "Service discovery failed"
                && error.debugMessage == "Service 'PingApi' is not registered! Did you forget to start it?"
        }
    }

    @Test func aStaticURLWithTheDocumentedPrefixIsNotDoubled() async throws {
        let server = pingServer("static")
        try await server.start()
        let discovery = try StaticDiscovery(["PingApi": "http://127.0.0.1:\(server.port!)/api/ping/"])
        let client = HTTPClient(PingApi.http, discovery: discovery)
        #expect(try await client.call(PingApi.whoami).text == "static")
        await client.shutdown()
        await server.shutdown()
    }

    static let hello = ContractMethod("hello", success: IsNote)
    static let chatSocket = webSocketSchema(SocketContract("ChatSocket", clientToServer: [hello], serverToClient: [])).path("ws/chat").done()

    @Test func socketOriginsUseTheWebSocketSchemeWithoutThePath() async throws {
        let discovery = try StaticDiscovery(["ChatSocket": "http://chat:9000/ws/chat"])
        #expect(try await Self.chatSocket.origin(discovery) == "ws://chat:9000")
        #expect(Self.chatSocket.discoverable.api == "ChatSocket")
    }

    @Test func anUnknownSocketAPIIsServiceDiscoveryFailedForWebSocketAPI() async throws {
        await #expect {
            _ = try await Self.chatSocket.createClient(discovery: InMemoryDiscovery())
        } throws: { error in
            guard let error = error as? ServiceError else { return false }
            return error.displayMessage == "Service discovery failed for WebSocket API ChatSocket"
                && error.debugMessage == "Service 'ChatSocket' is not registered! Did you forget to start it?"
        }
    }
}
