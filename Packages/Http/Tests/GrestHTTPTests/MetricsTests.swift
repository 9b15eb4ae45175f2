import GrestHTTP
import MetricsTestKit
import Testing

@Suite("Metrics", .timeLimit(.minutes(2)))
struct MetricsTests {
    @Test func countsRequestsWithBoundedLabels() async throws {
        let metrics = TestMetrics()
        try await withServer(configure: { $0.metricsFactory = metrics }, register: { $0.register(ItemsApi.http, ItemsApi.implement) }) { _, port in
            _ = try await get(port, "/api/items/1")
            _ = try await get(port, "/api/items/2")
            _ = try await get(port, "/api/items/missing")
            _ = try await get(port, "/api/items/unlisted")
            _ = try await get(port, "/client/controlled/\(UInt64.random(in: 0...UInt64.max))")
        }
        let base = [("api", "ItemsApi"), ("method", "GET"), ("path", "/api/items/:id")]
        #expect(try metrics.expectCounter("grest_http_requests_total", base + [("result", "OK")]).totalValue == 2)
        #expect(try metrics.expectCounter("grest_http_requests_total", base + [("result", "NOT_FOUND")]).totalValue == 1)
        #expect(try metrics.expectCounter("grest_http_requests_total", base + [("result", "SERVER_ERROR")]).totalValue == 1)
        #expect(try metrics.expectTimer("grest_http_request_duration_seconds", base).values.count == 4)
        let unmatched = metrics.counters(label: "grest_http_requests_total").filter { $0.dimensions.contains { $0 == ("path", "unmatched") } }
        #expect(unmatched.map(\.totalValue).reduce(0, +) == 1)
        let values = metrics.counters(label: "grest_http_requests_total").flatMap(\.dimensions).map(\.1)
        #expect(!values.contains { $0.hasPrefix("/client") }, "no label value comes from the client")
    }
}
