import CoreMetrics
import Synchronization

/// Request metrics of one route, created once at start so the hot path only increments.
///
/// - `grest_http_requests_total{api, method, path, result}`: `result` is `OK` or an error TYPE the
///   contract lists (else `SERVER_ERROR`), so no label value ever comes from the client.
/// - `grest_http_request_duration_seconds{api, method, path}`: a timer (nanoseconds).
final class RouteMetrics: Sendable {
    static let requestsLabel = "grest_http_requests_total"
    static let durationLabel = "grest_http_request_duration_seconds"

    private let counters: [String: Counter]
    private let otherCounter: Counter
    let timer: Timer

    init(api: String, method: String, path: String, resultTypes: Set<String>, factory: (any MetricsFactory)?) {
        let base = [("api", api), ("method", method), ("path", path)]
        func counter(_ result: String) -> Counter {
            let dimensions = base + [("result", result)]
            return factory.map { Counter(label: Self.requestsLabel, dimensions: dimensions, factory: $0) }
                ?? Counter(label: Self.requestsLabel, dimensions: dimensions)
        }
        var counters: [String: Counter] = [:]
        for result in resultTypes.union(["OK", "SERVER_ERROR"]) { counters[result] = counter(result) }
        self.counters = counters
        self.otherCounter = counters["SERVER_ERROR"]!
        self.timer = factory.map { Timer(label: Self.durationLabel, dimensions: base, preferredDisplayUnit: .seconds, factory: $0) }
            ?? Timer(label: Self.durationLabel, dimensions: base, preferredDisplayUnit: .seconds)
    }

    /// Counts one request with `result` and records its duration.
    func record(result: String, nanoseconds: Int64) {
        (counters[result] ?? otherCounter).increment()
        timer.recordNanoseconds(nanoseconds)
    }
}
