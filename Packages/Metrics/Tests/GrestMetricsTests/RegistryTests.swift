import GrestMetrics
import Synchronization
import Testing

@Suite("Declared metrics: arithmetic, labels, cap, reset, definitions")
struct RegistryTests {
    @Test func counterAddsWholeAndFractionalIncrements() throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("jobs_total", help: "Jobs")
        counter.inc()
        counter.inc(by: 2)
        counter.labels(NoLabels()).inc(by: Int64(3))
        counter.inc(by: 0.25)
        #expect(counter.value == 6.25)
    }

    @Test func gaugeSetsIncrementsAndDecrements() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.gauge("queue_depth", help: "Depth", labels: RoomLabels.self)
        gauge.set(10, RoomLabels(room: "a"))
        gauge.inc(RoomLabels(room: "a"), by: 2.5)
        gauge.dec(RoomLabels(room: "a"), by: 4)
        gauge.dec(RoomLabels(room: "b"))
        #expect(gauge.value(RoomLabels(room: "a")) == 8.5)
        #expect(gauge.value(RoomLabels(room: "b")) == -1)
    }

    @Test func histogramBucketsAreCumulativeWithInf() throws {
        let registry = MetricsRegistry()
        let histogram = try registry.histogram("size_bytes", help: "Sizes", buckets: [1, 5, 10])
        for value in [0.5, 1, 3, 7, 10, 11, 100] { histogram.observe(value) }
        let value = try #require(histogram.value)
        #expect(value.cumulativeCounts == [2, 3, 5, 7])
        #expect(value.bucket(le: .infinity) == 7)
        #expect(value.count == 7)
        #expect(value.sum == 132.5)
        #expect(value.min == 0.5)
        #expect(value.max == 100)
        let text = registry.exposition(filter: MetricsFilter(include: ["size_bytes"]))
        #expect(
            text == """
                # HELP size_bytes Sizes
                # TYPE size_bytes histogram
                size_bytes_bucket{le="1.0"} 2.0
                size_bytes_bucket{le="5.0"} 3.0
                size_bytes_bucket{le="10.0"} 5.0
                size_bytes_bucket{le="+Inf"} 7.0
                size_bytes_count 7.0
                size_bytes_sum 132.5

                """)
    }

    @Test func histogramTimerObservesElapsedSeconds() async throws {
        let registry = MetricsRegistry()
        let histogram = try registry.histogram("op_seconds", help: "Op", buckets: [0.001, 10])
        let timer = histogram.startTimer()
        try await Task.sleep(for: .milliseconds(2))
        let seconds = timer.stop()
        #expect(seconds >= 0.002 && seconds < 10)
        #expect(histogram.value?.cumulativeCounts == [0, 1, 1])
    }

    @Test func labelsKeepDeclaredOrderAndSeriesSortStably() throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("calls_total", help: "Calls", labels: RouteLabels.self)
        counter.inc(RouteLabels(api: "b", method: "x"))
        counter.inc(RouteLabels(api: "a", method: "y"), by: 2)
        counter.inc(RouteLabels(api: "a", method: "x"), by: 3)
        let text = registry.exposition(filter: MetricsFilter(include: ["calls_total"]))
        #expect(
            text == """
                # HELP calls_total Calls
                # TYPE calls_total counter
                calls_total{api="a",method="x"} 3.0
                calls_total{api="a",method="y"} 2.0
                calls_total{api="b",method="x"} 1.0

                """)
        #expect(registry.exposition() == registry.exposition())
    }

    @Test func capSendsNewSeriesToOverflowAndCountsDrops() throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("rooms_total", help: "Per room", labels: RoomLabels.self, cap: 2)
        counter.inc(RoomLabels(room: "a"))
        counter.inc(RoomLabels(room: "b"))
        counter.inc(RoomLabels(room: "c"), by: 5)
        counter.inc(RoomLabels(room: "c"))
        counter.inc(RoomLabels(room: "d"))
        #expect(counter.value(RoomLabels(room: "c")) == nil)
        #expect(counter.value(RoomLabels(room: overflowLabelValue)) == 7)
        let dropped = try #require(registry.snapshot(MetricsFilter(include: [MetricsRegistry.seriesDroppedName])).first)
        // Two distinct combinations were refused: c (twice) and d.
        #expect(dropped.series([LabelPair("metric", "rooms_total")])?.value == .counter(2))
        // Existing series keep recording.
        counter.inc(RoomLabels(room: "a"))
        #expect(counter.value(RoomLabels(room: "a")) == 2)
    }

    @Test func readsNeverCreateSeries() throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("reads_total", help: "R", labels: RoomLabels.self, cap: 1)
        for room in ["a", "b", "c"] { #expect(counter.value(RoomLabels(room: room)) == nil) }
        counter.inc(RoomLabels(room: "z"))
        #expect(counter.value(RoomLabels(room: "z")) == 1)
        #expect(registry.snapshot(MetricsFilter(include: ["reads_total"])).first?.series.count == 1)
    }

    @Test func resetDropsSeriesAndKeepsDeclarations() throws {
        let registry = MetricsRegistry()
        let shop = try registry.register(ShopMetrics.self)
        shop.orders.inc(RouteLabels(api: "a", method: "b"))
        shop.carts.set(3)
        registry.reset()
        #expect(shop.orders.value(RouteLabels(api: "a", method: "b")) == nil)
        #expect(shop.carts.value == 0)
        shop.carts.inc()
        #expect(shop.carts.value == 1)
        #expect(registry.definitions.contains { $0.name == "shop_orders_total" && $0.group == "shop" && $0.labelNames == ["api", "method"] })
    }

    @Test func sameDeclarationTwiceSharesTheSeries() throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("shared_total", help: "Shared", labels: RoomLabels.self)
        let second = try registry.counter("shared_total", help: "Shared", labels: RoomLabels.self)
        first.inc(RoomLabels(room: "x"))
        second.inc(RoomLabels(room: "x"))
        #expect(first.value(RoomLabels(room: "x")) == 2)
    }

    @Test func conflictingDeclarationsFailAtRegistration() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("thing", help: "A thing")
        #expect(throws: MetricsDefinitionError.self) { try registry.gauge("thing", help: "A thing") }
        #expect(throws: MetricsDefinitionError.self) { try registry.counter("thing", help: "Other help") }
        #expect(throws: MetricsDefinitionError.self) { try registry.counter("thing", help: "A thing", labels: RoomLabels.self) }
        _ = try registry.histogram("h", help: "H", buckets: [1, 2])
        #expect(throws: MetricsDefinitionError.self) { try registry.histogram("h", help: "H", buckets: [1, 3]) }
        // The registry still scrapes.
        #expect(registry.exposition().contains("# TYPE thing counter"))
    }

    @Test(arguments: [[2.0, 1.0], [1.0, 1.0], [1.0, .nan], [1.0, .infinity]])
    func badBucketsAreAConfigurationError(buckets: [Double]) {
        let registry = MetricsRegistry()
        #expect(throws: MetricsDefinitionError.self) { try registry.histogram("bad", help: "Bad", buckets: buckets) }
    }

    @Test func invalidNamesAreRefused() {
        let registry = MetricsRegistry()
        #expect(throws: MetricsDefinitionError.invalidName("1abc")) { try registry.counter("1abc", help: "x") }
        #expect(throws: MetricsDefinitionError.invalidName("a-b")) { try registry.counter("a-b", help: "x") }
        struct Bad: MetricLabels {
            static let names = ["__reserved"]
            var values: [String] { [""] }
        }
        #expect(throws: MetricsDefinitionError.self) { try registry.counter("ok_total", help: "x", labels: Bad.self) }
        struct Le: MetricLabels {
            static let names = ["le"]
            var values: [String] { [""] }
        }
        #expect(throws: MetricsDefinitionError.self) { try registry.histogram("ok_seconds", help: "x", labels: Le.self, buckets: [1]) }
        #expect(throws: MetricsDefinitionError.self) { try registry.counter("capped_total", help: "x", cap: 0) }
    }

    @Test func negativeIncrementsAreIgnoredAndCounted() throws {
        let registry = MetricsRegistry(invalidIncrements: .ignoreAndCount)
        let counter = try registry.counter("up_total", help: "Up")
        counter.inc(by: 2)
        counter.inc(by: -1)
        counter.labels(NoLabels()).inc(by: Int64(-5))
        counter.inc(by: .nan)
        counter.inc(by: .infinity)
        #expect(counter.value == 2)
        let invalid = try #require(registry.snapshot(MetricsFilter(include: [MetricsRegistry.invalidIncrementsName])).first)
        #expect(invalid.series([LabelPair("metric", "up_total")])?.value == .counter(4))
    }

    @Test func negativeIncrementTrapsUnderTheTrapPolicy() async {
        await #expect(processExitsWith: .failure) {
            let registry = MetricsRegistry(invalidIncrements: .trap)
            let counter = try registry.counter("down_total", help: "Down")
            counter.inc(by: -1)
        }
    }

    @Test func lazyGaugesAreComputedAtScrapeTime() throws {
        let registry = MetricsRegistry()
        let source = Source()
        _ = try registry.lazyGauge("connections", help: "Open connections") { source.value }
        _ = try registry.lazyGauge("loop_tasks", help: "Per loop", labels: RoomLabels.self) {
            [(RoomLabels(room: "loop-1"), 3), (RoomLabels(room: "loop-0"), 1)]
        }
        source.value = 4
        #expect(registry.snapshot(MetricsFilter(include: ["connections"])).first?.series.first?.value == .gauge(4))
        source.value = 9
        let text = registry.exposition(filter: MetricsFilter(include: ["connections", "loop_tasks"]))
        #expect(text.contains("connections 9.0\n"))
        #expect(text.contains("loop_tasks{room=\"loop-0\"} 1.0\nloop_tasks{room=\"loop-1\"} 3.0\n"))
    }

    @Test func processMetricsReadTheProcess() throws {
        let registry = MetricsRegistry()
        let process = try registry.register(ProcessMetrics.self)
        let values = Dictionary(
            uniqueKeysWithValues: registry.snapshot(MetricsFilter(include: ["process"])).map { ($0.name, $0.series[0].value.number) })
        #expect(values["process_resident_memory_bytes", default: 0] > 1_000_000)
        #expect(values["process_open_fds", default: 0] >= 3)
        #expect(values["process_max_fds", default: 0] >= values["process_open_fds", default: 0])
        #expect(values["process_cpu_seconds_total", default: -1] > 0)
        #expect(values["process_uptime_seconds", default: -1] >= 0)
        #expect(process.uptime.values().count == 1)
    }

    @Test func includeAndExcludeFilterByNameAndGroup() throws {
        let registry = MetricsRegistry()
        _ = try registry.register(ShopMetrics.self)
        _ = try registry.counter("other_total", help: "Other")
        let names = { (filter: MetricsFilter) in registry.snapshot(filter).map(\.name) }
        #expect(names(MetricsFilter(include: ["shop"])) == ["shop_checkout_seconds", "shop_open_carts", "shop_orders_total"])
        #expect(
            names(MetricsFilter(include: ["shop", "other_total"], exclude: ["shop_open_carts"])) == [
                "other_total", "shop_checkout_seconds", "shop_orders_total",
            ])
        #expect(!names(MetricsFilter(exclude: ["shop", "grest_metrics"])).contains { $0.hasPrefix("shop") || $0.hasPrefix("grest") })
    }
}

final class Source: Sendable {
    private let current = Mutex(0.0)
    var value: Double {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
