import GrestMetrics

struct RouteLabels: MetricLabels {
    static let names = ["api", "method"]
    var api: String
    var method: String
    var values: [String] { [api, method] }
}

struct RoomLabels: MetricLabels {
    static let names = ["room"]
    var room: String
    var values: [String] { [room] }
}

/// A declared group, as an app would write it.
struct ShopMetrics: MetricGroup {
    static let name = "shop"
    let orders: CounterMetric<RouteLabels>
    let carts: GaugeMetric<NoLabels>
    let latency: HistogramMetric<NoLabels>

    init(registry: MetricsRegistry) throws(MetricsDefinitionError) {
        orders = try registry.counter("shop_orders_total", help: "Orders placed", labels: RouteLabels.self)
        carts = try registry.gauge("shop_open_carts", help: "Carts open now")
        latency = try registry.histogram("shop_checkout_seconds", help: "Checkout latency", buckets: [0.1, 0.5, 1])
    }
}
