import Foundation
import GrestDiscovery
import GrestDiscoveryIntegration
import GrestDiscoveryLocal
import GrestHTTP
import GrestSchema
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Note: Sendable, Equatable { var text: String }
let IsNote = IsObject(Note.init, field("text", \.text, IsString))
struct Echo: Sendable, Equatable { var text: String; var n: Int }
let IsEcho = IsObject(Echo.init, field("text", \.text, IsString), field("n", \.n, IsInt))

enum PingApi {
    static let whoami = ContractMethod("whoami", success: IsNote)
    static let echo = ContractMethod("echo", input: IsEcho, success: IsEcho)
    static let http = HTTPSchema(Contract("PingApi", whoami, echo), pathPrefix: "api/ping").routes {
        $0.get(whoami, "/whoami")
        $0.post(echo, "/echo")
    }
    static let other = ContractMethod("whoami", success: IsNote)
    /// A longer prefix under the first one: longest-prefix matching must send it here.
    static let nested = HTTPSchema(Contract("PingAdminApi", other), pathPrefix: "api/ping/admin").routes { $0.get(other, "/whoami") }
}

enum HealthApi {
    static let check = ContractMethod("check", success: IsNote)
    static let http = HTTPSchema(Contract("HealthApi", check), pathPrefix: "").routes { $0.get(check, "/healthz") }
}

func server(_ name: String, healthy: Bool = true) async throws -> HTTPServer {
    let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
    if healthy { server.register(HealthApi.http) { impl in impl.handle(HealthApi.check) { Note(text: "ok") } } }
    server.register(PingApi.http) { impl in
        impl.handle(PingApi.whoami) { Note(text: name) }
        impl.handle(PingApi.echo) { input in Echo(text: name + ":" + input.text, n: input.n + 1) }
    }
    server.register(PingApi.nested) { impl in impl.handle(PingApi.other) { Note(text: "admin-" + name) } }
    try await server.start()
    return server
}

func registrations(_ server: HTTPServer, _ id: String) -> [ServiceRegistration] {
    [
        ServiceRegistration(api: "PingApi", port: server.port!, pathPrefix: "api/ping", instanceID: id),
        ServiceRegistration(api: "PingAdminApi", port: server.port!, pathPrefix: "api/ping/admin", instanceID: id),
    ]
}

/// One raw GET (the router's own error replies are not contract replies).
func rawGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

@Suite(.timeLimit(.minutes(1)))
struct LocalDiscoveryRouterTests {
    @Test func proxiesByLongestPrefixAndRoundRobinsAcrossReplicas() async throws {
        let (a, b) = (try await server("a"), try await server("b"))
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.discovery.register(registrations(a, "a") + registrations(b, "b"))
        #expect(try await router.discovery.resolve(api: "PingApi") == router.endpoint)

        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        var seen: [String] = []
        for _ in 0..<4 { seen.append(try await client.call(PingApi.whoami).text) }
        #expect(seen == ["a", "b", "a", "b"])
        #expect(try await client.call(PingApi.echo, Echo(text: "hi", n: 1)).n == 2)

        let admin = HTTPClient(PingApi.nested, discovery: router.discovery)
        #expect(try await admin.call(PingApi.other).text.hasPrefix("admin-"))

        // Per-replica unregister: only b is left.
        try await router.discovery.unregister(registrations(a, "a"))
        for _ in 0..<3 { #expect(try await client.call(PingApi.whoami).text == "b") }
        await client.shutdown()
        await admin.shutdown()
        await router.shutdown()
        await a.shutdown()
        await b.shutdown()
    }

    @Test func unknownPrefixIs404ListingPrefixesAndADeadUpstreamIs502NamingIt() async throws {
        let a = try await server("a")
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.registry.register(registrations(a, "a"))
        let missing = try await rawGet(port: router.port!, path: "/nowhere")
        #expect(missing.status == 404)
        #expect(missing.body.contains("No route for GET /nowhere!"))
        #expect(missing.body.contains("\"prefixes\":[\"/api/ping\",\"/api/ping/admin\"]"))

        let port = a.port!
        await a.shutdown()
        let failed = try await rawGet(port: router.port!, path: "/api/ping/whoami")
        #expect(failed.status == 502)
        #expect(failed.body.contains("Proxy error: http://127.0.0.1:\(port) failed"))
        await router.shutdown()
    }

    @Test func aFailingHealthCheckTakesAReplicaOutOfRotation() async throws {
        let (a, b) = (try await server("a"), try await server("b", healthy: false))
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.registry.register(registrations(a, "a") + registrations(b, "b"))
        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        var before: Set<String> = []
        for _ in 0..<2 { before.insert(try await client.call(PingApi.whoami).text) }
        #expect(before == ["a", "b"])

        await router.checkHealth()
        #expect(router.ejectedUpstreams == ["127.0.0.1:\(b.port!)"])
        for _ in 0..<4 { #expect(try await client.call(PingApi.whoami).text == "a") }
        await client.shutdown()
        await router.shutdown()
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aReplicaThatRefusesConnectionsIsRetriedOnALiveOneAndEjected() async throws {
        let (a, b) = (try await server("a"), try await server("b"))
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.registry.register(registrations(a, "a") + registrations(b, "b"))
        let deadPort = a.port!
        await a.shutdown()  // still registered: a crash the registry has not noticed
        let client = HTTPClient(PingApi.http, discovery: router.discovery)
        for _ in 0..<4 { #expect(try await client.call(PingApi.whoami).text == "b") }
        #expect(router.ejectedUpstreams == ["127.0.0.1:\(deadPort)"])
        await client.shutdown()
        await router.shutdown()
        await b.shutdown()
    }

    @Test func bindsLoopbackByDefaultAndRefusesMalformedRegistrations() async throws {
        let router = LocalDiscoveryRouter()
        #expect(router.host == "127.0.0.1")
        await #expect(throws: DiscoveryError.self) {
            try await router.registry.register([ServiceRegistration(api: "X", port: 0, instanceID: "a")])
        }
        await #expect(throws: DiscoveryError.unavailable("Router not started yet!")) { try await router.discovery.instances(api: "X") }
    }
}
