public import GrestMetrics

/// A failed metrics expectation; its description names the metric, the labels, the expected and the actual change.
public struct MetricsExpectationFailure: Error, Sendable, CustomStringConvertible {
    public let metric: String
    public let labels: [LabelPair]
    public let expected: String
    public let actual: String

    public var description: String {
        let labelText = labels.isEmpty ? "" : "{" + labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",") + "}"
        return "Metric \(metric)\(labelText): expected \(expected), actual \(actual)"
    }
}

/// The change of a registry across a piece of work (grest-ts testkit `.with(metrics)` deltas).
///
/// ```swift
/// let delta = try await MetricsDelta.measure(registry) { try await client.call(Api.post, message) }
/// try delta.counter(chat.messages).inc(RoomLabels(room: "lobby"), by: 1)
/// try delta.histogram(http.duration).observed(RouteLabels(...), count: 1)
/// try delta.counter(chat.errors).noChange()
/// ```
public struct MetricsDelta: Sendable {
    public let before: [MetricFamilySnapshot]
    public let after: [MetricFamilySnapshot]

    public init(before: [MetricFamilySnapshot], after: [MetricFamilySnapshot]) {
        self.before = before
        self.after = after
    }

    /// Snapshots `registry`, runs `work`, snapshots again.
    public static func measure(
        _ registry: MetricsRegistry, isolation: isolated (any Actor)? = #isolation, _ work: () async throws -> Void
    ) async rethrows -> MetricsDelta {
        let before = registry.snapshot()
        try await work()
        return MetricsDelta(before: before, after: registry.snapshot())
    }

    public func counter<Labels>(_ metric: CounterMetric<Labels>) -> NumberDelta<Labels> { NumberDelta(name: metric.name, delta: self) }
    public func gauge<Labels>(_ metric: GaugeMetric<Labels>) -> NumberDelta<Labels> { NumberDelta(name: metric.name, delta: self) }
    public func histogram<Labels>(_ metric: HistogramMetric<Labels>) -> HistogramDelta<Labels> { HistogramDelta(name: metric.name, delta: self) }
    /// A metric by name, for those recorded through swift-metrics (labels as pairs).
    public func metric(_ name: String) -> NamedDelta { NamedDelta(name: name, delta: self) }

    func series(_ name: String, _ labels: [LabelPair], in snapshot: [MetricFamilySnapshot]) -> SeriesValue? {
        snapshot.first { $0.name == name }?.series(labels)?.value
    }

    func number(_ name: String, _ labels: [LabelPair]) -> (before: Double, after: Double) {
        (series(name, labels, in: before)?.number ?? 0, series(name, labels, in: after)?.number ?? 0)
    }

    func histogram(_ name: String, _ labels: [LabelPair]) -> (count: UInt64, sum: Double) {
        func read(_ snapshot: [MetricFamilySnapshot]) -> (UInt64, Double) {
            guard case .histogram(let value) = series(name, labels, in: snapshot) else { return (0, 0) }
            return (value.count, value.sum)
        }
        let (countBefore, sumBefore) = read(before)
        let (countAfter, sumAfter) = read(after)
        return (countAfter &- countBefore, sumAfter - sumBefore)
    }

    /// Every series of `name` whose value changed.
    func changedSeries(_ name: String) -> [String] {
        let old = before.first { $0.name == name }?.series ?? []
        let new = after.first { $0.name == name }?.series ?? []
        return new.compactMap { series in
            let previous = old.first { $0.labels == series.labels }?.value
            guard previous != series.value else { return nil }
            let labels = series.labels.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
            return "{\(labels)}"
        }
    }
}

/// Change assertions on a counter or gauge.
public struct NumberDelta<Labels: MetricLabels>: Sendable {
    let name: String
    let delta: MetricsDelta

    private func pairs(_ labels: Labels) -> [LabelPair] { zip(Labels.names, labels.values).map { LabelPair($0, $1) } }

    /// The change of the series with `labels` (0 for a series that never existed).
    public func change(_ labels: Labels) -> Double {
        let (before, after) = delta.number(name, pairs(labels))
        return after - before
    }

    /// The series rose by exactly `amount`.
    public func inc(_ labels: Labels, by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual == amount else { throw failure(labels, "+\(amount)", actual) }
    }

    /// The series rose by `amount` or more.
    public func incAtLeast(_ labels: Labels, by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual >= amount else { throw failure(labels, "at least +\(amount)", actual) }
    }

    /// The series fell by exactly `amount`.
    public func dec(_ labels: Labels, by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual == -amount else { throw failure(labels, "-\(amount)", actual) }
    }

    /// No series of this metric changed (none created either).
    public func noChange() throws(MetricsExpectationFailure) {
        let changed = delta.changedSeries(name)
        guard changed.isEmpty else {
            throw MetricsExpectationFailure(metric: name, labels: [], expected: "no change", actual: "changed \(changed.joined(separator: " "))")
        }
    }

    private func failure(_ labels: Labels, _ expected: String, _ actual: Double) -> MetricsExpectationFailure {
        MetricsExpectationFailure(metric: name, labels: pairs(labels), expected: expected, actual: actual >= 0 ? "+\(actual)" : "\(actual)")
    }
}

extension NumberDelta where Labels == NoLabels {
    public func inc(by amount: Double = 1) throws(MetricsExpectationFailure) { try inc(NoLabels(), by: amount) }
    public func incAtLeast(by amount: Double = 1) throws(MetricsExpectationFailure) { try incAtLeast(NoLabels(), by: amount) }
    public func dec(by amount: Double = 1) throws(MetricsExpectationFailure) { try dec(NoLabels(), by: amount) }
}

/// Change assertions on a histogram.
public struct HistogramDelta<Labels: MetricLabels>: Sendable {
    let name: String
    let delta: MetricsDelta

    private func pairs(_ labels: Labels) -> [LabelPair] { zip(Labels.names, labels.values).map { LabelPair($0, $1) } }

    /// Exactly `count` observations were added to the series with `labels`.
    public func observed(_ labels: Labels, count: UInt64 = 1) throws(MetricsExpectationFailure) {
        let actual = delta.histogram(name, pairs(labels))
        guard actual.count == count else {
            throw MetricsExpectationFailure(metric: name, labels: pairs(labels), expected: "\(count) observation(s)", actual: "\(actual.count)")
        }
    }

    /// Observations were added whose sum changed by `sum` (within `tolerance`).
    public func observed(_ labels: Labels, sum: Double, tolerance: Double = 1e-9) throws(MetricsExpectationFailure) {
        let actual = delta.histogram(name, pairs(labels))
        guard abs(actual.sum - sum) <= tolerance else {
            throw MetricsExpectationFailure(metric: name, labels: pairs(labels), expected: "sum +\(sum)", actual: "sum +\(actual.sum)")
        }
    }

    public func noChange() throws(MetricsExpectationFailure) {
        let changed = delta.changedSeries(name)
        guard changed.isEmpty else {
            throw MetricsExpectationFailure(metric: name, labels: [], expected: "no change", actual: "changed \(changed.joined(separator: " "))")
        }
    }
}

extension HistogramDelta where Labels == NoLabels {
    public func observed(count: UInt64 = 1) throws(MetricsExpectationFailure) { try observed(NoLabels(), count: count) }
}

/// Change assertions on a metric named by string (swift-metrics instruments).
public struct NamedDelta: Sendable {
    let name: String
    let delta: MetricsDelta

    /// The change of a counter or gauge series, or of a histogram's count.
    public func change(_ labels: [LabelPair]) -> Double {
        if case .histogram = delta.series(name, labels, in: delta.after) { return Double(delta.histogram(name, labels).count) }
        let (before, after) = delta.number(name, labels)
        return after - before
    }

    public func inc(_ labels: [LabelPair], by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual == amount else { throw MetricsExpectationFailure(metric: name, labels: labels, expected: "+\(amount)", actual: "\(actual)") }
    }

    public func incAtLeast(_ labels: [LabelPair], by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual >= amount else {
            throw MetricsExpectationFailure(metric: name, labels: labels, expected: "at least +\(amount)", actual: "\(actual)")
        }
    }

    public func dec(_ labels: [LabelPair], by amount: Double = 1) throws(MetricsExpectationFailure) {
        let actual = change(labels)
        guard actual == -amount else { throw MetricsExpectationFailure(metric: name, labels: labels, expected: "-\(amount)", actual: "\(actual)") }
    }

    /// Exactly `count` observations on a histogram series.
    public func observed(_ labels: [LabelPair], count: UInt64 = 1) throws(MetricsExpectationFailure) {
        let actual = delta.histogram(name, labels).count
        guard actual == count else {
            throw MetricsExpectationFailure(metric: name, labels: labels, expected: "\(count) observation(s)", actual: "\(actual)")
        }
    }

    public func noChange() throws(MetricsExpectationFailure) {
        let changed = delta.changedSeries(name)
        guard changed.isEmpty else {
            throw MetricsExpectationFailure(metric: name, labels: [], expected: "no change", actual: "changed \(changed.joined(separator: " "))")
        }
    }
}

extension MetricsRegistry {
    /// Polls (every `interval`) until the series `labels` of `metric` reaches at least `value`, for work that
    /// records after the call returns (a socket push). Throws ``MetricsExpectationFailure`` after `timeout`.
    public func waitFor(
        _ metric: String, _ labels: [LabelPair] = [], atLeast value: Double, timeout: Duration = .seconds(5), interval: Duration = .milliseconds(5)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        var current = 0.0
        while true {
            let snapshot = self.snapshot(MetricsFilter(include: [metric]))
            if let series = snapshot.first?.series(labels) {
                if case .histogram(let histogram) = series.value { current = Double(histogram.count) } else { current = series.value.number }
            }
            if current >= value { return }
            if ContinuousClock.now >= deadline {
                throw MetricsExpectationFailure(metric: metric, labels: labels, expected: "at least \(value) within \(timeout)", actual: "\(current)")
            }
            try await Task.sleep(for: interval)
        }
    }
}
