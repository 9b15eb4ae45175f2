/// What a counter does with a negative, NaN or infinite increment. Counters only go up, so such an increment
/// is always a bug in the caller; the policy chooses how loudly it shows.
public enum InvalidIncrementPolicy: Sendable {
    /// `preconditionFailure` with the metric's name.
    case trap
    /// Drops the increment and counts it in `grest_metrics_invalid_increments_total{metric}`.
    case ignoreAndCount

    /// `.trap` in debug builds, `.ignoreAndCount` in release builds.
    public static var `default`: InvalidIncrementPolicy {
        #if DEBUG
            .trap
        #else
            .ignoreAndCount
        #endif
    }
}

/// Rejects what a counter must not add, per policy.
struct IncrementGuard: Sendable {
    let metric: String
    let policy: InvalidIncrementPolicy
    /// `grest_metrics_invalid_increments_total`; its series for this metric appears on the first rejection.
    let invalid: MetricFamily?

    func admits(_ amount: Double) -> Bool {
        if amount >= 0, amount.isFinite { return true }
        switch policy {
        case .trap: preconditionFailure("Counter \(metric) incremented by \(amount): counters only go up by finite amounts")
        case .ignoreAndCount: invalid?.series(SeriesKey(names: ["metric"], values: [metric])) { CounterSeries() }.add(Int64(1))
        }
        return false
    }
}

/// A counter series to record into without a lookup: keep it where the hot path can reach it.
public struct CounterHandle: Sendable {
    let series: CounterSeries
    let incrementGuard: IncrementGuard

    /// Adds `amount` (1 by default).
    public func inc() { inc(by: Int64(1)) }

    public func inc(by amount: Int64) {
        guard amount >= 0 || incrementGuard.admits(Double(amount)) else { return }
        series.add(amount)
    }

    public func inc(by amount: Double) {
        guard incrementGuard.admits(amount) else { return }
        series.add(amount)
    }

    /// The current value.
    public var value: Double { series.value }
}

/// A declared counter (grest-ts `GGCounterKey`): only goes up; resets only with the registry.
public struct CounterMetric<Labels: MetricLabels>: Sendable {
    let family: MetricFamily
    let incrementGuard: IncrementGuard

    public var name: String { family.name }

    /// The series for `labels`, created on first use (past the cap: the overflow series).
    public func labels(_ labels: Labels) -> CounterHandle {
        CounterHandle(
            series: family.series(SeriesKey(names: Labels.names, values: labels.values)) { CounterSeries() }, incrementGuard: incrementGuard)
    }

    public func inc(_ labels: Labels, by amount: Double = 1) { self.labels(labels).inc(by: amount) }

    /// The value of an existing series; `nil` if none was recorded (reading never creates a series).
    public func value(_ labels: Labels) -> Double? {
        (family.existing(SeriesKey(names: Labels.names, values: labels.values)) as? CounterSeries)?.value
    }
}

extension CounterMetric where Labels == NoLabels {
    public func inc(by amount: Double = 1) { labels(NoLabels()).inc(by: amount) }
    public var value: Double { value(NoLabels()) ?? 0 }
}

/// A gauge series to record into without a lookup.
public struct GaugeHandle: Sendable {
    let series: GaugeSeries

    public func set(_ value: Double) { series.set(value) }
    public func inc(by amount: Double = 1) { series.add(amount) }
    public func dec(by amount: Double = 1) { series.add(-amount) }
    public var value: Double { series.value }
}

/// A declared gauge (grest-ts `GGGaugeKey`): set, inc, dec.
public struct GaugeMetric<Labels: MetricLabels>: Sendable {
    let family: MetricFamily

    public var name: String { family.name }

    public func labels(_ labels: Labels) -> GaugeHandle {
        GaugeHandle(series: family.series(SeriesKey(names: Labels.names, values: labels.values)) { GaugeSeries() })
    }

    public func set(_ value: Double, _ labels: Labels) { self.labels(labels).set(value) }
    public func inc(_ labels: Labels, by amount: Double = 1) { self.labels(labels).inc(by: amount) }
    public func dec(_ labels: Labels, by amount: Double = 1) { self.labels(labels).dec(by: amount) }

    /// The value of an existing series; `nil` if none was recorded.
    public func value(_ labels: Labels) -> Double? {
        (family.existing(SeriesKey(names: Labels.names, values: labels.values)) as? GaugeSeries)?.value
    }
}

extension GaugeMetric where Labels == NoLabels {
    public func set(_ value: Double) { labels(NoLabels()).set(value) }
    public func inc(by amount: Double = 1) { labels(NoLabels()).inc(by: amount) }
    public func dec(by amount: Double = 1) { labels(NoLabels()).dec(by: amount) }
    public var value: Double { value(NoLabels()) ?? 0 }
}

/// A histogram series to record into without a lookup.
public struct HistogramHandle: Sendable {
    let series: HistogramSeries

    public func observe(_ value: Double) { series.observe(value) }

    /// Starts timing; ``HistogramTimer/stop()`` observes the elapsed seconds (monotonic clock, nanosecond resolution).
    public func startTimer() -> HistogramTimer { HistogramTimer(series: series, started: .now) }

    public var value: HistogramValue { series.snapshot }
}

/// A running timer from ``HistogramHandle/startTimer()``.
public struct HistogramTimer: Sendable {
    let series: HistogramSeries
    let started: ContinuousClock.Instant

    /// Observes the seconds since the start and returns them.
    @discardableResult
    public func stop() -> Double {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        series.observe(seconds)
        return seconds
    }
}

/// A declared histogram with explicit buckets (grest-ts `GGHistogramKey`), exported with `+Inf`.
public struct HistogramMetric<Labels: MetricLabels>: Sendable {
    let family: MetricFamily

    public var name: String { family.name }
    public var buckets: [Double] { family.shape.buckets }

    public func labels(_ labels: Labels) -> HistogramHandle {
        let bounds = family.shape.buckets
        return HistogramHandle(series: family.series(SeriesKey(names: Labels.names, values: labels.values)) { HistogramSeries(bounds: bounds) })
    }

    public func observe(_ value: Double, _ labels: Labels) { self.labels(labels).observe(value) }
    public func startTimer(_ labels: Labels) -> HistogramTimer { self.labels(labels).startTimer() }

    /// The value of an existing series; `nil` if none was recorded.
    public func value(_ labels: Labels) -> HistogramValue? {
        (family.existing(SeriesKey(names: Labels.names, values: labels.values)) as? HistogramSeries)?.snapshot
    }
}

extension HistogramMetric where Labels == NoLabels {
    public func observe(_ value: Double) { labels(NoLabels()).observe(value) }
    public func startTimer() -> HistogramTimer { labels(NoLabels()).startTimer() }
    public var value: HistogramValue? { value(NoLabels()) }
}

/// A gauge whose value is computed at scrape time (grest-ts `GGLazyGaugeKey`, which never exported; this one does).
public struct LazyGaugeMetric: Sendable {
    let family: MetricFamily

    public var name: String { family.name }

    /// Computes the current values, as a scrape would.
    public func values() -> [SeriesSnapshot] { family.snapshot().series }
}
