import GrestMetrics
import Prometheus

// Recording from 1, 2 and 8 concurrent tasks into one series (the contended case), ns per operation, and the
// same work through swift-prometheus 2.4.1's PrometheusCollectorRegistry; then a scrape of 10 000 series.

struct PathLabels: MetricLabels {
    static let names = ["path"]
    var path: String
    var values: [String] { [path] }
}

let operations = 2_000_000
let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

func measure(tasks: Int, _ body: @escaping @Sendable (Int) -> Void) async -> Double {
    let perTask = operations / tasks
    let start = ContinuousClock.now
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<tasks { group.addTask { body(perTask) } }
    }
    let elapsed = ContinuousClock.now - start
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    return nanoseconds / Double(perTask * tasks)
}

/// Best of `runs` (the machine is shared; the minimum is the least disturbed).
func best(_ runs: Int = 5, _ run: () async -> Double) async -> Double {
    var result = Double.infinity
    for _ in 0..<runs { result = min(result, await run()) }
    return result
}

func format(_ value: Double) -> String {
    let rounded = (value * 100).rounded() / 100
    return String(rounded)
}

let grest = MetricsRegistry()
let grestCounter = try grest.counter("bench_requests_total", help: "Requests", labels: PathLabels.self).labels(PathLabels(path: "/a"))
let grestHistogram = try grest.histogram("bench_latency_seconds", help: "Latency", labels: PathLabels.self, buckets: buckets)
    .labels(PathLabels(path: "/a"))
let prometheus = PrometheusCollectorRegistry()
let promCounter = prometheus.makeCounter(
    descriptor: MetricNameDescriptor(metricName: "bench_requests", unitName: "total", helpText: "Requests"), labels: [("path", "/a")])
let promHistogram = prometheus.makeValueHistogram(
    descriptor: MetricNameDescriptor(metricName: "bench_latency", unitName: "seconds", helpText: "Latency"), labels: [("path", "/a")],
    buckets: buckets)

print("GrestMetrics vs swift-prometheus 2.4.1 (\(operations) operations per run, best of 5, ns/op; ratio > 1 = GrestMetrics faster)")
print("operation            tasks  grest   swift-prometheus  ratio")
for tasks in [1, 2, 8] {
    let grestNs = await best { await measure(tasks: tasks) { n in for _ in 0..<n { grestCounter.inc() } } }
    let promNs = await best { await measure(tasks: tasks) { n in for _ in 0..<n { promCounter.increment() } } }
    print("counter increment    \(tasks)      \(format(grestNs))    \(format(promNs))             \(format(promNs / grestNs))x")
}
for tasks in [1, 2, 8] {
    let grestNs = await best { await measure(tasks: tasks) { n in for i in 0..<n { grestHistogram.observe(Double(i & 1023) / 1000) } } }
    let promNs = await best { await measure(tasks: tasks) { n in for i in 0..<n { promHistogram.record(Double(i & 1023) / 1000) } } }
    print("histogram observe    \(tasks)      \(format(grestNs))    \(format(promNs))             \(format(promNs / grestNs))x")
}

// Scrape: 10 000 counter series (100 metrics × 100 label values) plus the histograms above.
let scrapeRegistry = MetricsRegistry()
for metric in 0..<100 {
    let counter = try scrapeRegistry.counter("bench_metric_\(metric)_total", help: "Metric \(metric)", labels: PathLabels.self)
    for path in 0..<100 { counter.inc(PathLabels(path: "/route/\(path)"), by: Double(path)) }
}
var bytes = 0
let scrapeMs = await best {
    let start = ContinuousClock.now
    bytes = scrapeRegistry.exposition(.prometheus).utf8.count
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
}
print("scrape of 10 000 series: \(format(scrapeMs)) ms (\(bytes) bytes, Prometheus text)")
