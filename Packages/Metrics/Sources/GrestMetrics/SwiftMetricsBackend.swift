public import CoreMetrics

/// A swift-metrics backend writing into a ``MetricsRegistry``: whatever is instrumented through swift-metrics
/// (`grest_http_*`, `grest_ws_*`, third-party libraries) is exported with the declared metrics.
///
/// ```swift
/// let registry = MetricsRegistry()
/// MetricsSystem.bootstrap(registry.makeMetricsFactory())      // process-wide, once
/// // or, per server: HTTPServerConfiguration(metricsFactory: registry.makeMetricsFactory())
/// ```
///
/// Mapping: `Counter` and `FloatingPointCounter` → counter; `Meter` and a non-aggregating `Recorder` → gauge;
/// an aggregating `Recorder` → histogram with ``recorderBuckets``; `Timer` → histogram in **seconds** with
/// ``timerBuckets``. Labels and dimension names are made valid (other bytes become `_`); dimension values are kept
/// as they are. A label already taken by another kind (or a histogram with other buckets) gets a detached handler:
/// its data is dropped and counted in `grest_metrics_series_dropped_total{metric}`, and nothing crashes.
public struct GrestMetricsFactory: MetricsFactory {
    public let registry: MetricsRegistry
    public var timerBuckets: [Double]
    public var recorderBuckets: [Double]
    /// Help text per metric name; others get "<kind> recorded through swift-metrics".
    public var help: [String: String]

    public static let defaultTimerBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let defaultRecorderBuckets: [Double] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    public static let knownHelp: [String: String] = [
        "grest_http_requests_total": "HTTP requests by route and result (OK or the error TYPE)",
        "grest_http_request_duration_seconds": "HTTP request duration by route, from head received to reply written",
    ]

    public init(
        registry: MetricsRegistry, timerBuckets: [Double] = Self.defaultTimerBuckets, recorderBuckets: [Double] = Self.defaultRecorderBuckets,
        help: [String: String] = [:]
    ) {
        self.registry = registry
        self.timerBuckets = timerBuckets
        self.recorderBuckets = recorderBuckets
        self.help = Self.knownHelp.merging(help) { $1 }
    }

    private func family(_ label: String, _ kind: MetricKind, _ what: String, buckets: [Double] = []) -> (MetricFamily?, String) {
        let name = NameRules.sanitize(label, allowColon: true)
        return (registry.dynamicFamily(name, kind: kind, help: help[name] ?? "\(what) recorded through swift-metrics", buckets: buckets), name)
    }

    private func key(_ dimensions: [(String, String)]) -> SeriesKey {
        SeriesKey(names: dimensions.map { NameRules.sanitize($0.0, allowColon: false) }, values: dimensions.map(\.1))
    }

    private func conflict(_ name: String) {
        registry.countDrop(name)
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (family, name) = family(label, .counter, "Counter")
        if family == nil { conflict(name) }
        let series = family?.series(key(dimensions)) { CounterSeries() } ?? CounterSeries()
        return CounterBackend(series: series, incrementGuard: registry.incrementGuard(for: name))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (family, name) = family(label, .counter, "Counter")
        if family == nil { conflict(name) }
        let series = family?.series(key(dimensions)) { CounterSeries() } ?? CounterSeries()
        return CounterBackend(series: series, incrementGuard: registry.incrementGuard(for: name))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let (family, name) = family(label, .gauge, "Gauge")
        if family == nil { conflict(name) }
        return GaugeBackend(series: family?.series(key(dimensions)) { GaugeSeries() } ?? GaugeSeries())
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if !aggregate {
            let (family, name) = family(label, .gauge, "Gauge")
            if family == nil { conflict(name) }
            return GaugeBackend(series: family?.series(key(dimensions)) { GaugeSeries() } ?? GaugeSeries())
        }
        let bounds = recorderBuckets
        let (family, name) = family(label, .histogram, "Histogram", buckets: bounds)
        if family == nil { conflict(name) }
        return HistogramBackend(series: family?.series(key(dimensions)) { HistogramSeries(bounds: bounds) } ?? HistogramSeries(bounds: bounds))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let bounds = timerBuckets
        let (family, name) = family(label, .histogram, "Duration in seconds", buckets: bounds)
        if family == nil { conflict(name) }
        return HistogramBackend(series: family?.series(key(dimensions)) { HistogramSeries(bounds: bounds) } ?? HistogramSeries(bounds: bounds))
    }

    // Series stay until the registry is reset: a scrape must not lose a counter because its handle went away.
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}

extension MetricsRegistry {
    /// A swift-metrics backend that records into this registry.
    public func makeMetricsFactory(help: [String: String] = [:]) -> GrestMetricsFactory {
        GrestMetricsFactory(registry: self, help: help)
    }
}

final class CounterBackend: CounterHandler, FloatingPointCounterHandler, Sendable {
    let series: CounterSeries
    let incrementGuard: IncrementGuard

    init(series: CounterSeries, incrementGuard: IncrementGuard) {
        self.series = series
        self.incrementGuard = incrementGuard
    }

    func increment(by amount: Int64) {
        guard amount >= 0 || incrementGuard.admits(Double(amount)) else { return }
        series.add(amount)
    }

    func increment(by amount: Double) {
        guard incrementGuard.admits(amount) else { return }
        series.add(amount)
    }

    func reset() { series.reset() }
}

final class GaugeBackend: MeterHandler, RecorderHandler, Sendable {
    let series: GaugeSeries

    init(series: GaugeSeries) { self.series = series }

    func set(_ value: Int64) { series.set(Double(value)) }
    func set(_ value: Double) { series.set(value) }
    func increment(by amount: Double) { series.add(amount) }
    func decrement(by amount: Double) { series.add(-amount) }
    func record(_ value: Int64) { series.set(Double(value)) }
    func record(_ value: Double) { series.set(value) }
}

final class HistogramBackend: RecorderHandler, TimerHandler, Sendable {
    let series: HistogramSeries

    init(series: HistogramSeries) { self.series = series }

    func record(_ value: Int64) { series.observe(Double(value)) }
    func record(_ value: Double) { series.observe(value) }
    func recordNanoseconds(_ duration: Int64) { series.observe(Double(duration) / 1e9) }
}
