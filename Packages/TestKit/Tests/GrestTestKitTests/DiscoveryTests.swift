import GrestDiscovery
import GrestHTTP
import GrestSchema
import GrestTestKit
import GrestWebSocket
import GrestWebSocketClient
import Testing

/// Service A of these tests: looks users up in service B, which it finds through its environment's discovery
/// before every call (as GrestDiscoveryIntegration's `HTTPClient(schema, discovery:)` does), not at start-up.
enum FrontDeskApi: HTTPApiNamespace {
    static let lookup = ContractMethod(
        "lookup", input: IsObject(UserID.init, field("id", \.id, IsString.nonEmpty)), success: IsString, errors: [NOT_FOUND])
    static let contract = Contract("FrontDeskApi", lookup)
    static let schema = HTTPSchema(contract, pathPrefix: "front-desk").routes { $0.get(lookup, "/:id") }
}

func frontDeskApp() -> GrestAppDefinition {
    GrestAppDefinition(name: "front-desk") { environment in
        let discovery = environment.discovery
        let users = HTTPClient(
            UsersApi.schema, baseURLLookup: { try await discovery.resolve(api: UsersApi.schema.name).url }, middleware: environment.middleware)
        let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), logger: environment.logger)
        server.register(FrontDeskApi.schema, middleware: environment.middleware) { api in
            api.handle(FrontDeskApi.lookup) { request in try await users.call(UsersApi.get, request).name }
        }
        return [server]
    }
}

@Suite(.timeLimit(.minutes(1)))
struct DiscoveryTests {
    @Test func anAppCallsAnotherThroughDiscoveryWithAMockInFront() async throws {
        let store = UserStore()
        // The front desk starts first: it resolves users per call, so the order does not matter.
        try await withGrestHarness([frontDeskApp(), store.app()]) { harness in
            let desk = try harness.callOn(FrontDeskApi.self)
            try await desk.lookup(UserID(id: "u1")).expect(equals: "Ada").run()
            #expect(store.count("get") == 1)
            try await desk.lookup(UserID(id: "u1"))
                .with(mock(UsersApi.get).returning(User(id: "u1", name: "Mocked")).expecting(matching: ["id": "u1"]))
                .expect(equals: "Mocked")
                .run()
            #expect(store.count("get") == 1, "the mock answered in front of the users app")
            try await desk.lookup(UserID(id: "nobody")).expectError(NOT_FOUND).run()
        }
    }

    @Test func everyStartedAppsSchemasAreRegisteredWithTheirPorts() async throws {
        try await withGrestHarness(demoApps()) { harness in
            // HTTP: at the stand-in in front of the app (it forwards to the app's own port, which the test calls).
            let users = try await harness.discovery.resolve(api: UsersApi.schema.name)
            let usersPort = try Endpoint(url: harness.baseURL(for: UsersApi.schema)).port
            #expect(users.scheme == "http" && users.host == "127.0.0.1")
            #expect(users.port != usersPort)
            let viaDiscovery = HTTPClient(UsersApi.schema, baseURL: users.url)
            #expect(try await viaDiscovery.call(UsersApi.get, UserID(id: "u2")).name == "Grace")
            await viaDiscovery.shutdown()

            // Sockets: at the app's own port.
            let greeterPort = try Endpoint(url: harness.baseURL(for: GreeterApi.schema)).port
            let room = try await harness.discovery.resolve(api: RoomSocket.name)
            #expect(room.scheme == "ws" && room.port == greeterPort)
            let client = RoomSocket.createClient(url: room.url)
            try client.incoming.on(RoomApi.areYouThere) { true }
            try await client.connect()
            #expect(try await client.outgoing.call(RoomApi.rollCall) == 1)
            await client.disconnect()

            let registered = harness.discovery.registrations().map { "\($0.runtime) \($0.api) \($0.scheme)" }
            #expect(registered.sorted() == ["greeter GreeterApi http", "greeter RoomApi ws", "users UsersApi http"])
        }
    }
}
