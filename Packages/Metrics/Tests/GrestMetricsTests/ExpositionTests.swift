import Foundation
import GrestMetrics
import Testing

@Suite("Exposition formats, judged by prometheus_client")
struct ExpositionTests {
    static let awkward = [
        "plain", "comma,inside", "equals=inside", "quote\"inside", "back\\slash", "new\nline", "ünïcødé ✓ 日本", "a=1,b=2", "",
        "trailing\\", "{braces}",
    ]

    /// A registry holding every awkward case: label values with any bytes, NaN, ±Inf, a help text with a newline.
    static func awkwardRegistry() throws -> MetricsRegistry {
        let registry = MetricsRegistry()
        let counter = try registry.counter("awkward_total", help: "Help with \\ backslash\nand newline and \"quotes\"", labels: RoomLabels.self)
        for (index, value) in awkward.enumerated() { counter.inc(RoomLabels(room: value), by: Double(index + 1)) }
        let gauge = try registry.gauge("special_values", help: "NaN and infinities", labels: RoomLabels.self)
        gauge.set(.nan, RoomLabels(room: "nan"))
        gauge.set(.infinity, RoomLabels(room: "inf"))
        gauge.set(-.infinity, RoomLabels(room: "-inf"))
        gauge.set(-2.5, RoomLabels(room: "negative"))
        gauge.set(1e-7, RoomLabels(room: "tiny"))
        gauge.set(1.5e300, RoomLabels(room: "huge"))
        let histogram = try registry.histogram("latency_seconds", help: "Latency", labels: RoomLabels.self, buckets: [0.005, 0.1, 1, 2.5])
        for value in [0.001, 0.05, 0.05, 2, 30] { histogram.observe(value, RoomLabels(room: "quote\"and,comma=")) }
        _ = try registry.histogram("empty_seconds", help: "Never observed", buckets: [1])
        _ = try registry.register(ProcessMetrics.self)
        return registry
    }

    @Test(.enabled(if: PythonJudge.isAvailable, PythonJudge.skipReason))
    func prometheusTextRoundTripsThroughTheOfficialParser() throws {
        let registry = try Self.awkwardRegistry()
        let families = try PythonJudge.parse(registry.exposition(.prometheus), openMetrics: false)
        // Like OpenMetrics, prometheus_client names a counter family without `_total`.
        try Self.checkRoundTrip(families, counterSample: "awkward_total", counterFamily: "awkward")
    }

    @Test(.enabled(if: PythonJudge.isAvailable, PythonJudge.skipReason))
    func openMetricsTextRoundTripsThroughTheOfficialParser() throws {
        let registry = try Self.awkwardRegistry()
        let text = registry.exposition(.openMetrics)
        #expect(text.hasSuffix("# EOF\n"))
        let families = try PythonJudge.parse(text, openMetrics: true)
        try Self.checkRoundTrip(families, counterSample: "awkward_total", counterFamily: "awkward")
    }

    static func checkRoundTrip(_ families: [PythonJudge.Family], counterSample: String, counterFamily: String) throws {
        let counter = try #require(families.family(counterFamily))
        #expect(counter.type == "counter")
        #expect(counter.documentation == "Help with \\ backslash\nand newline and \"quotes\"")
        let samples = counter.samples(counterSample)
        #expect(samples.count == awkward.count)
        for (index, value) in awkward.enumerated() {
            let sample = samples.first { $0.labels["room"] == value }
            #expect(sample?.value == "\(Double(index + 1))", "label value \(value.debugDescription) did not round-trip")
        }
        let special = try #require(families.family("special_values"))
        let byRoom = Dictionary(uniqueKeysWithValues: special.samples.map { ($0.labels["room"] ?? "", $0.value) })
        #expect(byRoom == ["nan": "nan", "inf": "inf", "-inf": "-inf", "negative": "-2.5", "tiny": "1e-07", "huge": "1.5e+300"])
        let histogram = try #require(families.family("latency_seconds"))
        #expect(histogram.type == "histogram")
        let buckets = histogram.samples("latency_seconds_bucket").map { ($0.labels["le"] ?? "", $0.value) }
        #expect(buckets.map(\.0) == ["0.005", "0.1", "1.0", "2.5", "+Inf"])
        #expect(buckets.map(\.1) == ["1.0", "3.0", "3.0", "4.0", "5.0"])
        #expect(histogram.samples("latency_seconds_count").first?.value == "5.0")
        #expect(histogram.samples("latency_seconds_bucket").allSatisfy { $0.labels["room"] == "quote\"and,comma=" })
        #expect(families.family("process_resident_memory_bytes") != nil)
        #expect(families.family("empty_seconds")?.samples("empty_seconds_count").first?.value == "0.0")
    }

    @Test func contentNegotiationPicksOpenMetricsOnlyWhenAsked() {
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheus)
        #expect(ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == .prometheus)
        #expect(
            ExpositionFormat.negotiate(
                accept: "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;q=0.5")
                == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0, text/plain") == .prometheus)
    }

    @Test func openMetricsNamesCounterFamiliesWithoutTotal() throws {
        let registry = MetricsRegistry()
        try registry.counter("hits_total", help: "Hits").inc()
        try registry.counter("misses", help: "Misses").inc()
        let text = registry.exposition(.openMetrics, filter: MetricsFilter(include: ["hits_total", "misses"]))
        #expect(
            text == """
                # HELP hits Hits
                # TYPE hits counter
                hits_total 1.0
                # HELP misses Misses
                # TYPE misses counter
                misses_total 1.0
                # EOF

                """)
    }

    @Test func flatJSONHasTheGrestTSShape() throws {
        let registry = MetricsRegistry()
        let shop = try registry.register(ShopMetrics.self)
        shop.orders.inc(RouteLabels(api: "a,b=c", method: "x"), by: 2)
        shop.latency.observe(0.3)
        shop.latency.observe(2)
        let json = registry.json(filter: MetricsFilter(include: ["shop"]))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(root["timestamp"] is NSNumber)
        let metrics = try #require(root["metrics"] as? [String: [String: Any]])
        let orders = try #require(metrics["shop_orders_total"])
        #expect(orders["name"] as? String == "shop_orders_total")
        #expect(orders["type"] as? String == "counter")
        #expect(orders["help"] as? String == "Orders placed")
        let values = try #require(orders["values"] as? [[String: Any]])
        #expect(values.first?["labels"] as? [String: String] == ["api": "a,b=c", "method": "x"])
        #expect(values.first?["value"] as? Double == 2)
        let latency = try #require((metrics["shop_checkout_seconds"]?["values"] as? [[String: Any]])?.first?["value"] as? [String: Any])
        #expect(latency["count"] as? Double == 2)
        #expect(latency["sum"] as? Double == 2.3)
        #expect(latency["avg"] as? Double == 1.15)
        #expect(latency["min"] as? Double == 0.3)
        #expect(latency["max"] as? Double == 2)
        #expect(latency["buckets"] as? [String: Double] == ["0.1": 0, "0.5": 1, "1": 1, "+Inf": 2])
    }

    @Test func nestedJSONGroupsRowsBySharedLabels() throws {
        let registry = MetricsRegistry()
        let shop = try registry.register(ShopMetrics.self)
        shop.orders.inc(RouteLabels(api: "cart", method: "add"), by: 3)
        shop.orders.inc(RouteLabels(api: "cart", method: "remove"))
        let json = registry.nestedJSON(filter: MetricsFilter(include: ["shop_orders_total"]))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let rows = try #require((root["groups"] as? [String: Any])?["shop"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows[0]["api"] as? String == "cart")
        #expect(rows[0]["method"] as? String == "add")
        #expect(rows[0]["orders_total"] as? Double == 3)
        // Two metrics of one group that share no label: extra labels nest under label → value → metric.
        shop.carts.set(5)
        let mixed = registry.nestedJSON(filter: MetricsFilter(include: ["shop"]))
        let mixedRoot = try #require(try JSONSerialization.jsonObject(with: Data(mixed.utf8)) as? [String: Any])
        let mixedRows = try #require((mixedRoot["groups"] as? [String: Any])?["shop"] as? [[String: Any]])
        let row = try #require(mixedRows.first)
        #expect(row["open_carts"] as? Double == 5)
        let nested = (row["api"] as? [String: Any])?["cart"] as? [String: Any]
        #expect(((nested?["method"] as? [String: Any])?["add"] as? [String: Any])?["orders_total"] as? Double == 3)
    }
}
