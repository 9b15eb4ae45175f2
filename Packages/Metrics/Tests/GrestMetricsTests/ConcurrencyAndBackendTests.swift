import CoreMetrics
import GrestMetrics
import GrestMetricsTesting
import Testing

@Suite("Concurrent recording, the swift-metrics backend, test deltas")
struct ConcurrencyAndBackendTests {
    @Test func concurrentRecordingLosesNothing() async throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("hits_total", help: "Hits", labels: RoomLabels.self)
        let fractional = try registry.counter("fraction_total", help: "Fractions")
        let gauge = try registry.gauge("level", help: "Level")
        let histogram = try registry.histogram("obs", help: "Obs", buckets: [10, 100])
        let tasks = 8
        let perTask = 20_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    // Half the tasks take a handle, half look the series up each time (first-use creation races too).
                    let handle = counter.labels(RoomLabels(room: "shared"))
                    for i in 0..<perTask {
                        if task.isMultiple(of: 2) { handle.inc() } else { counter.inc(RoomLabels(room: "shared")) }
                        counter.inc(RoomLabels(room: "room-\(i % 50)"))
                        fractional.inc(by: 0.5)
                        gauge.inc()
                        histogram.observe(Double(i % 200))
                    }
                }
            }
        }
        #expect(counter.value(RoomLabels(room: "shared")) == Double(tasks * perTask))
        #expect(counter.value(RoomLabels(room: "room-7")) == Double(tasks * perTask / 50))
        #expect(fractional.value == Double(tasks * perTask) / 2)
        #expect(gauge.value == Double(tasks * perTask))
        let value = try #require(histogram.value)
        #expect(value.count == UInt64(tasks * perTask))
        #expect(value.cumulativeCounts == [UInt64(tasks * perTask / 200 * 11), UInt64(tasks * perTask / 200 * 101), UInt64(tasks * perTask)])
        #expect(value.sum == Double(tasks * perTask / 200) * Double((0..<200).reduce(0, +)))
    }

    @Test func swiftMetricsInstrumentsLandInTheRegistry() throws {
        let registry = MetricsRegistry()
        let factory = registry.makeMetricsFactory()
        let counter = CoreMetrics.Counter(label: "grest_http_requests_total", dimensions: [("api", "Items"), ("result", "OK")], factory: factory)
        counter.increment()
        counter.increment(by: 2)
        CoreMetrics.FloatingPointCounter(label: "bytes.sent", dimensions: [], factory: factory).increment(by: 1.5)
        CoreMetrics.Timer(label: "grest_http_request_duration_seconds", dimensions: [("api", "Items")], factory: factory)
            .recordNanoseconds(3_000_000)
        let meter = CoreMetrics.Meter(label: "grest_ws_connections_active", dimensions: [], factory: factory)
        meter.increment(by: 3)
        meter.decrement(by: 1)
        CoreMetrics.Recorder(label: "batch_size", dimensions: [], aggregate: true, factory: factory).record(7)
        CoreMetrics.Recorder(label: "temperature", dimensions: [("room", "a b")], aggregate: false, factory: factory).record(21.5)

        let families = Dictionary(uniqueKeysWithValues: registry.snapshot().map { ($0.name, $0) })
        #expect(families["grest_http_requests_total"]?.series([LabelPair("api", "Items"), LabelPair("result", "OK")])?.value == .counter(3))
        #expect(families["grest_http_requests_total"]?.help == GrestMetricsFactory.knownHelp["grest_http_requests_total"])
        #expect(families["bytes_sent"]?.series.first?.value == .counter(1.5))
        let duration = try #require(families["grest_http_request_duration_seconds"]?.series.first?.value)
        guard case .histogram(let histogram) = duration else { Issue.record("timer is not a histogram"); return }
        #expect(histogram.sum == 0.003)
        #expect(histogram.bucket(le: 0.005) == 1 && histogram.bucket(le: 0.0025) == 0)
        #expect(families["grest_ws_connections_active"]?.series.first?.value == .gauge(2))
        #expect(families["batch_size"]?.kind == .histogram)
        #expect(families["temperature"]?.series([LabelPair("room", "a b")])?.value == .gauge(21.5))
    }

    @Test func swiftMetricsLabelTakenByAnotherKindIsDroppedNotCrashed() throws {
        let registry = MetricsRegistry()
        let declared = try registry.gauge("jobs", help: "Declared as a gauge")
        let factory = registry.makeMetricsFactory()
        CoreMetrics.Counter(label: "jobs", dimensions: [], factory: factory).increment(by: 5)
        declared.set(1)
        #expect(declared.value == 1)
        let dropped = registry.snapshot(MetricsFilter(include: [MetricsRegistry.seriesDroppedName])).first
        #expect(dropped?.series([LabelPair("metric", "jobs")])?.value == .counter(1))
        #expect(registry.exposition().contains("jobs 1.0\n"))
    }

    @Test func deltasPassOnTheRightChangeAndNameWhatFailed() async throws {
        let registry = MetricsRegistry()
        let shop = try registry.register(ShopMetrics.self)
        shop.carts.set(5)
        let labels = RouteLabels(api: "cart", method: "add")
        let delta = await MetricsDelta.measure(registry) {
            shop.orders.inc(labels, by: 2)
            shop.carts.dec(by: 1)
            shop.latency.observe(0.2)
        }
        try delta.counter(shop.orders).inc(labels, by: 2)
        try delta.counter(shop.orders).incAtLeast(labels, by: 1)
        try delta.gauge(shop.carts).dec(by: 1)
        try delta.histogram(shop.latency).observed(count: 1)
        try delta.histogram(shop.latency).observed(NoLabels(), sum: 0.2)
        try delta.metric(MetricsRegistry.seriesDroppedName).noChange()

        let wrong = #expect(throws: MetricsExpectationFailure.self) { try delta.counter(shop.orders).inc(labels, by: 3) }
        #expect(wrong?.description == "Metric shop_orders_total{api=\"cart\",method=\"add\"}: expected +3.0, actual +2.0")
        let changed = #expect(throws: MetricsExpectationFailure.self) { try delta.counter(shop.orders).noChange() }
        #expect(changed?.description == "Metric shop_orders_total: expected no change, actual changed {api=\"cart\",method=\"add\"}")
        #expect(throws: MetricsExpectationFailure.self) { try delta.histogram(shop.latency).observed(count: 2) }
        #expect(throws: MetricsExpectationFailure.self) { try delta.gauge(shop.carts).dec(by: 2) }
        #expect(throws: MetricsExpectationFailure.self) { try delta.counter(shop.orders).incAtLeast(labels, by: 5) }
        try delta.metric("shop_orders_total").inc([LabelPair("method", "add"), LabelPair("api", "cart")], by: 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func waitForPollsUntilTheValueArrives() async throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("late_total", help: "Late")
        async let waited: Void = registry.waitFor("late_total", atLeast: 3, timeout: .seconds(30))
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(10))
            counter.inc()
        }
        try await waited
        await #expect(throws: MetricsExpectationFailure.self) { try await registry.waitFor("late_total", atLeast: 4, timeout: .milliseconds(30)) }
    }
}
