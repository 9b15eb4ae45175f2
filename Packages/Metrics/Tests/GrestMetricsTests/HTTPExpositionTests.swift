import Foundation
import GrestHTTP
import GrestMetrics
import GrestMetricsHTTP
import GrestSchema
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite("exposeMetrics on a real HTTPServer", .timeLimit(.minutes(2)))
struct HTTPExpositionTests {
    /// A server whose own grest_http_* metrics go to `registry` (its swift-metrics factory), with the scrape route.
    static func withServer(
        _ registry: MetricsRegistry, permission: Permission = .public, resolver: ScopeResolver? = nil, _ body: (Int) async throws -> Void
    ) async throws {
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.metricsFactory = registry.makeMetricsFactory()
        let server = HTTPServer(configuration: configuration)
        server.exposeMetrics(registry, permission: permission, permissionResolver: resolver)
        try await server.start()
        do {
            try await body(try #require(server.port))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    static func registry() throws -> MetricsRegistry {
        let registry = MetricsRegistry()
        _ = try registry.register(ProcessMetrics.self)
        try registry.counter("chat_messages_total", help: "Messages", labels: RoomLabels.self).inc(RoomLabels(room: "lobby \"main\", a=b\nc"))
        return registry
    }

    @Test(.enabled(if: PythonJudge.isAvailable, PythonJudge.skipReason))
    func scrapeServesPrometheusTextThatTheParserReads() async throws {
        let registry = try Self.registry()
        try await Self.withServer(registry) { port in
            _ = try await RawHTTP.get(port: port, path: "/metrics")
            let response = try await RawHTTP.get(port: port, path: "/metrics", headers: [("Accept", "text/plain;version=0.0.4")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
            if let path = ProcessInfo.processInfo.environment["GREST_METRICS_SCRAPE_OUT"] {
                try response.body.write(toFile: path, atomically: true, encoding: .utf8)  // for the README's sample scrape
            }
            let families = try PythonJudge.parse(response.body, openMetrics: false)
            #expect(families.family("chat_messages")?.samples.first?.labels["room"] == "lobby \"main\", a=b\nc")
            #expect(families.family("process_open_fds") != nil)
            // The first scrape went through the server's own request metrics, recorded via swift-metrics.
            let requests = try #require(families.family("grest_http_requests"))
            let ok = requests.samples.first { $0.labels["api"] == "GrestMetrics" && $0.labels["result"] == "OK" }
            #expect(ok?.value == "1.0")
            #expect(families.family("grest_http_request_duration_seconds")?.type == "histogram")
        }
    }

    @Test(.enabled(if: PythonJudge.isAvailable, PythonJudge.skipReason))
    func scrapeServesOpenMetricsWhenAsked() async throws {
        let registry = try Self.registry()
        try await Self.withServer(registry) { port in
            let response = try await RawHTTP.get(
                port: port, path: "/metrics", headers: [("Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(response.body.hasSuffix("# EOF\n"))
            let families = try PythonJudge.parse(response.body, openMetrics: true)
            #expect(families.family("chat_messages")?.samples("chat_messages_total").count == 1)
        }
    }

    @Test func scrapeServesTheGrestTSJSONWhenAsked() async throws {
        let registry = try Self.registry()
        try await Self.withServer(registry) { port in
            let response = try await RawHTTP.get(port: port, path: "/metrics", headers: [("Accept", "application/json")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(response.body.hasPrefix("{\"timestamp\":"))
            #expect(response.body.contains("\"chat_messages_total\":{\"name\":\"chat_messages_total\",\"type\":\"counter\""))
        }
    }

    @Test func scrapeIsGuardedByThePermissionGate() async throws {
        let registry = try Self.registry()
        let scopes = Scopes()
        try await Self.withServer(registry, permission: .scope("metrics:read"), resolver: { scopes.current }) { port in
            let anonymous = try await RawHTTP.get(port: port, path: "/metrics")
            #expect(anonymous.status == 401)
            #expect(anonymous.header("content-type") == "application/json")
            #expect(!anonymous.body.contains("chat_messages_total"))
            scopes.current = ["other"]
            #expect(try await RawHTTP.get(port: port, path: "/metrics").status == 403)
            scopes.current = ["metrics:read"]
            let allowed = try await RawHTTP.get(port: port, path: "/metrics")
            #expect(allowed.status == 200)
            #expect(allowed.body.contains("chat_messages_total{room="))
        }
    }

    @Test func loadGaugesCountOpenConnections() async throws {
        let registry = MetricsRegistry()
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0))
        server.exposeMetrics(registry, permission: .public)
        try server.registerLoadMetrics(in: registry)
        try await server.start()
        let port = try #require(server.port)
        // An idle keep-alive connection stays open while the scrape is served on another one.
        let idle = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        let scrape = try await RawHTTP.get(port: port, path: "/metrics")
        #expect(scrape.body.contains("grest_http_connections_open 2.0\n"))
        #expect(scrape.body.contains("grest_http_requests_in_flight 1.0\n"))
        try await idle.close()
        await server.shutdown()
        #expect(registry.exposition().contains("grest_http_connections_open 0.0\n"))
    }

    @Test func strictModeRefusesAScopedScrapeWithoutResolver() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0))
        server.exposeMetrics(MetricsRegistry(), permission: .scope("metrics:read"))
        let error = await #expect(throws: HTTPServerStartupError.self) { try await server.start() }
        #expect(error?.permissionCoverage?.unresolved.map(\.method) == ["scrape"])
        await server.shutdown()
    }
}

final class Scopes: Sendable {
    private let box = Mutex<Set<String>?>(nil)
    var current: Set<String>? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
