import ChatExample
import Foundation
import GrestHTTP
import GrestMetrics
import GrestWebSocket
import GrestWebSocketClient
import Subprocess
import Tagged
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The chat example as `make run` starts it serves `/metrics`: what its socket and HTTP traffic recorded through
/// swift-metrics, judged by the official Python `prometheus_client` parser.
@Suite("Chat example metrics", .timeLimit(.minutes(1)))
struct ChatMetricsTests {
    @Test func metricsScrapeOfTheRunningChatParsesAndCountsTheTraffic() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let service = ChatService(store: store)
        let server = try makeChatServer(HTTPServerConfiguration(port: 0), service: service, metrics: MetricsRegistry())
        try await server.start()
        let port = try #require(server.port)

        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuthMiddleware(getToken: { "alice" })]
        let alice = ChatSocket.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        try await alice.connect()
        _ = try await alice.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "counted", channelId: "general"))
        let http = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)", middleware: [BearerAuthMiddleware(getToken: { "bob" })])
        _ = try await http.call(ChatHTTPApi.me)

        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let text = String(decoding: body, as: UTF8.self)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "content-type")?.hasPrefix("text/plain") == true)

        let families = try await judge(text)
        let names = Set(families.map(\.name))
        for expected in ["grest_ws_requests", "grest_http_requests", "process_resident_memory_bytes", "grest_http_connections_open"] {
            #expect(names.contains(expected), "\(expected) missing from the scrape; families: \(names.sorted())")
        }
        let sendSamples = families.filter { $0.name == "grest_ws_requests" }.flatMap(\.samples)
            .filter { $0.labels["method"] == "ChatApi.sendMessage" }
        #expect(sendSamples.contains { $0.value >= 1 }, "no grest_ws_requests sample for sendMessage in:\n\(text)")

        await http.shutdown()
        await alice.disconnect()
        await server.shutdown()
        try await store.close()
    }

    /// Presence goes out through its own in-process `SocketBroadcast`; its pushes count in the registry `/metrics` serves
    /// (before, that broadcast counted with the global swift-metrics factory and was missing from the scrape).
    @Test func presencePushesCountInTheServersRegistry() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let metrics = MetricsRegistry()
        let server = try makeChatServer(
            HTTPServerConfiguration(port: 0), service: ChatService(store: store, metricsFactory: metrics.makeMetricsFactory()), metrics: metrics)
        try await server.start()
        let port = try #require(server.port)

        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuthMiddleware(getToken: { "alice" })]
        let alice = ChatSocket.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let (pushes, received) = AsyncStream.makeStream(of: Presence.self)
        try alice.incoming.on(ChatApi.presence) { presence in received.yield(presence) }
        try await alice.connect()
        var iterator = pushes.makeAsyncIterator()
        #expect(await iterator.next() == Presence(users: ["alice"]))

        // Counted before the fan-out, so the push alice got is in the scrape. No message was sent: the only broadcast
        // so far is presence.
        let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let text = String(decoding: body, as: UTF8.self)
        let published = try await judge(text).filter { $0.name == "grest_ws_broadcast_published" }.flatMap(\.samples)
            .filter { $0.labels["api"] == "ChatApi" && $0.labels["result"] == "OK" && $0.name.hasSuffix("_total") }
        #expect(published.contains { $0.value >= 1 }, "no presence publish counted in:\n\(text)")

        await alice.disconnect()
        await server.shutdown()
        try await store.close()
    }

    struct Family: Decodable { let name: String; let samples: [Sample] }
    struct Sample: Decodable { let name: String; let labels: [String: String]; let value: Double }

    /// Parses the exposition with `prometheus_client.parser` (installed by Scripts/bootstrap) and returns its families.
    /// Through swift-subprocess, which waits without holding one of the two cooperative threads.
    func judge(_ text: String) async throws -> [Family] {
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = [{'name': f.name, 'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value if s.value == s.value else -1}
                     for s in f.samples]} for f in text_string_to_metric_families(sys.stdin.read())]
            print(json.dumps(out))
            """
        let result = try await Subprocess.run(
            .name("python3"), arguments: ["-c", script], input: .string(text), output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
        guard case .exited(0) = result.terminationStatus else {
            throw JudgeFailure(description: "prometheus_client refused the scrape (\(result.terminationStatus)): \(result.standardError)\n\(text)")
        }
        return try JSONDecoder().decode([Family].self, from: Data(result.standardOutput.utf8))
    }

    struct JudgeFailure: Error, CustomStringConvertible { let description: String }
}
