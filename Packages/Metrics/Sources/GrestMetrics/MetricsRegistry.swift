import Synchronization

/// A declaration mistake, reported when the metric is registered (never a crash at scrape time).
public enum MetricsDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case invalidLabelName(metric: String, label: String)
    case invalidBuckets(metric: String, buckets: [Double], reason: String)
    case invalidCap(metric: String, cap: Int)
    /// The name is already registered with another type, help text, label names or buckets.
    case conflict(name: String, existing: String, new: String)

    public var description: String {
        switch self {
        case .invalidName(let name): "Metric name \"\(name)\" must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName(let metric, let label):
            "Label \"\(label)\" of \(metric) must match [a-zA-Z_][a-zA-Z0-9_]*, not start with __, and not be \"le\" on a histogram"
        case .invalidBuckets(let metric, let buckets, let reason): "Buckets \(buckets) of \(metric): \(reason)"
        case .invalidCap(let metric, let cap): "Cap \(cap) of \(metric) must be at least 1"
        case .conflict(let name, let existing, let new): "Metric \(name) is already registered as \(existing); cannot register it as \(new)"
        }
    }
}

/// A metric's documentation entry (grest-ts `GGMetrics.toJSON(def)`): the declarations are the documentation.
public struct MetricDefinition: Sendable, Hashable {
    public let name: String
    public let kind: MetricKind
    public let help: String
    public let labelNames: [String]
    public let buckets: [Double]
    public let isLazy: Bool
    public let cap: Int?
    public let group: String?
}

/// A set of metrics declared in one place (grest-ts `GGMetrics.define(root, …)`): a type whose stored properties
/// are the typed metrics, built by ``MetricsRegistry/register(_:)``.
///
/// ```swift
/// struct ChatMetrics: MetricGroup {
///     static let name = "chat"
///     let messages: CounterMetric<RoomLabels>
///     let online: GaugeMetric<NoLabels>
///     init(registry: MetricsRegistry) throws(MetricsDefinitionError) {
///         messages = try registry.counter("chat_messages_total", help: "Messages posted", labels: RoomLabels.self, cap: 1000)
///         online = try registry.gauge("chat_users_online", help: "Users with an open socket")
///     }
/// }
/// let chat = try registry.register(ChatMetrics.self)
/// chat.messages.inc(RoomLabels(room: "lobby"))
/// ```
public protocol MetricGroup: Sendable {
    /// The group's name: the JSON exporters' group and the include/exclude filters' handle.
    static var name: String { get }
    init(registry: MetricsRegistry) throws(MetricsDefinitionError)
}

/// Where metrics live: one per app or per test, never a global (install it as the swift-metrics factory with
/// ``makeMetricsFactory()`` if everything else should land here too).
public final class MetricsRegistry: Sendable {
    /// Default series cap for metrics declared without one; `nil` = unlimited.
    public let defaultCap: Int?
    public let invalidIncrements: InvalidIncrementPolicy
    private let families = Mutex<[String: MetricFamily]>([:])
    let dropped: MetricFamily
    private let invalid: MetricFamily

    @TaskLocal static var definingGroup: String?

    public static let seriesDroppedName = "grest_metrics_series_dropped_total"
    public static let invalidIncrementsName = "grest_metrics_invalid_increments_total"

    /// - Parameters:
    ///   - defaultCap: The series cap of metrics declared without one (`nil`: unlimited).
    ///   - invalidIncrements: What a negative, NaN or infinite counter increment does (``InvalidIncrementPolicy/default``).
    public init(defaultCap: Int? = nil, invalidIncrements: InvalidIncrementPolicy = .default) {
        self.defaultCap = defaultCap
        self.invalidIncrements = invalidIncrements
        let dropped = MetricFamily(
            name: Self.seriesDroppedName,
            shape: FamilyShape(
                kind: .counter, help: "Label combinations refused past a metric's cap and recorded in its __overflow__ series",
                labelNames: ["metric"], buckets: [], isLazy: false),
            group: "grest_metrics", cap: nil, onDrop: { _ in })
        self.dropped = dropped
        self.invalid = MetricFamily(
            name: Self.invalidIncrementsName,
            shape: FamilyShape(
                kind: .counter, help: "Negative, NaN or infinite counter increments that were ignored", labelNames: ["metric"], buckets: [],
                isLazy: false),
            group: "grest_metrics", cap: nil, onDrop: { _ in })
        families.withLock {
            $0[dropped.name] = dropped
            $0[self.invalid.name] = self.invalid
        }
    }

    // MARK: Declaring

    /// Declares (or finds, when declared identically before) a counter.
    /// - Parameter cap: The most label combinations; more go to the `__overflow__` series. `nil`: ``defaultCap``.
    public func counter<Labels: MetricLabels>(
        _ name: String, help: String, labels: Labels.Type = NoLabels.self, cap: Int? = nil
    ) throws(MetricsDefinitionError) -> CounterMetric<Labels> {
        let family = try family(name, FamilyShape(kind: .counter, help: help, labelNames: Labels.names, buckets: [], isLazy: false), cap: cap)
        let metric = CounterMetric<Labels>(family: family, incrementGuard: incrementGuard(for: name))
        if Labels.names.isEmpty { _ = metric.family.series(.empty) { CounterSeries() } }  // exported as 0 before first use
        return metric
    }

    /// Declares (or finds) a gauge.
    public func gauge<Labels: MetricLabels>(
        _ name: String, help: String, labels: Labels.Type = NoLabels.self, cap: Int? = nil
    ) throws(MetricsDefinitionError) -> GaugeMetric<Labels> {
        let metric = GaugeMetric<Labels>(
            family: try family(name, FamilyShape(kind: .gauge, help: help, labelNames: Labels.names, buckets: [], isLazy: false), cap: cap))
        if Labels.names.isEmpty { _ = metric.family.series(.empty) { GaugeSeries() } }
        return metric
    }

    /// Declares (or finds) a histogram.
    /// - Parameter buckets: Upper bounds, strictly increasing and finite; `+Inf` is always added.
    public func histogram<Labels: MetricLabels>(
        _ name: String, help: String, labels: Labels.Type = NoLabels.self, buckets: [Double], cap: Int? = nil
    ) throws(MetricsDefinitionError) -> HistogramMetric<Labels> {
        try Self.validate(buckets: buckets, metric: name)
        if Labels.names.contains("le") { throw .invalidLabelName(metric: name, label: "le") }
        let metric = HistogramMetric<Labels>(
            family: try family(name, FamilyShape(kind: .histogram, help: help, labelNames: Labels.names, buckets: buckets, isLazy: false), cap: cap))
        if Labels.names.isEmpty { _ = metric.family.series(.empty) { HistogramSeries(bounds: buckets) } }
        return metric
    }

    /// Declares a gauge computed at scrape time, without labels.
    public func lazyGauge(_ name: String, help: String, value: @escaping @Sendable () -> Double) throws(MetricsDefinitionError) -> LazyGaugeMetric {
        LazyGaugeMetric(
            family: try family(
                name, FamilyShape(kind: .gauge, help: help, labelNames: [], buckets: [], isLazy: true), cap: nil,
                collect: { [(SeriesKey.empty, value())] }))
    }

    /// Declares a gauge computed at scrape time, one value per label combination the closure returns.
    public func lazyGauge<Labels: MetricLabels>(
        _ name: String, help: String, labels: Labels.Type, values: @escaping @Sendable () -> [(Labels, Double)]
    ) throws(MetricsDefinitionError) -> LazyGaugeMetric {
        LazyGaugeMetric(
            family: try family(
                name, FamilyShape(kind: .gauge, help: help, labelNames: Labels.names, buckets: [], isLazy: true), cap: nil,
                collect: { values().map { (SeriesKey(names: Labels.names, values: $0.0.values), $0.1) } }))
    }

    /// Builds a declared group; every metric it declares is tagged with the group's name.
    public func register<Group: MetricGroup>(_ group: Group.Type) throws(MetricsDefinitionError) -> Group {
        do {
            return try Self.$definingGroup.withValue(Group.name) { try Group(registry: self) }
        } catch let error as MetricsDefinitionError {
            throw error
        } catch {
            preconditionFailure("MetricGroup.init throws only MetricsDefinitionError")
        }
    }

    // MARK: Reading

    /// Every metric (filtered), sorted by name, series sorted by label values. Lazy gauges are computed now.
    public func snapshot(_ filter: MetricsFilter = .all) -> [MetricFamilySnapshot] {
        let all = families.withLock { Array($0.values) }
        return all.filter { filter.admits(name: $0.name, group: $0.group) }.sorted { $0.name < $1.name }.map { $0.snapshot() }
    }

    /// The documentation of every declared metric, sorted by name.
    public var definitions: [MetricDefinition] {
        families.withLock { Array($0.values) }.sorted { $0.name < $1.name }.map {
            MetricDefinition(
                name: $0.name, kind: $0.shape.kind, help: $0.shape.help, labelNames: $0.shape.labelNames ?? [], buckets: $0.shape.buckets,
                isLazy: $0.shape.isLazy, cap: $0.cap, group: $0.group)
        }
    }

    /// Drops every recorded series (declarations stay; handles taken before keep recording into detached series,
    /// so take handles again after a reset).
    public func reset() {
        for family in families.withLock({ Array($0.values) }) { family.reset() }
    }

    // MARK: Internals

    func incrementGuard(for name: String) -> IncrementGuard {
        IncrementGuard(metric: name, policy: invalidIncrements, invalid: invalid)
    }

    private func family(
        _ name: String, _ shape: FamilyShape, cap: Int?, collect: (@Sendable () -> [(SeriesKey, Double)])? = nil
    ) throws(MetricsDefinitionError) -> MetricFamily {
        guard NameRules.isValidMetricName(name) else { throw .invalidName(name) }
        for label in shape.labelNames ?? [] where !NameRules.isValidLabelName(label) {
            throw .invalidLabelName(metric: name, label: label)
        }
        if let labels = shape.labelNames, Set(labels).count != labels.count {
            throw .invalidLabelName(metric: name, label: labels.first { label in labels.filter { $0 == label }.count > 1 } ?? "")
        }
        let cap = cap ?? defaultCap
        if let cap, cap < 1 { throw .invalidCap(metric: name, cap: cap) }
        let dropped = self.dropped
        let group = Self.definingGroup
        return try families.withLock { (families) throws(MetricsDefinitionError) -> MetricFamily in
            if let existing = families[name] {
                guard existing.shape == shape else { throw .conflict(name: name, existing: existing.shape.description, new: shape.description) }
                return existing
            }
            let family = MetricFamily(
                name: name, shape: shape, group: group, cap: cap, collect: collect,
                onDrop: { metric in dropped.series(SeriesKey(names: ["metric"], values: [metric])) { CounterSeries() }.add(Int64(1)) })
            families[name] = family
            return family
        }
    }

    /// The family for a swift-metrics handler: label names come per series (dimensions), so only kind and
    /// buckets must agree. `nil` when the name is taken by another kind.
    func dynamicFamily(_ name: String, kind: MetricKind, help: String, buckets: [Double]) -> MetricFamily? {
        let dropped = self.dropped
        let cap = defaultCap
        return families.withLock { families -> MetricFamily? in
            if let existing = families[name] {
                return existing.shape.kind == kind && !existing.shape.isLazy && (kind != .histogram || existing.shape.buckets == buckets)
                    ? existing : nil
            }
            let family = MetricFamily(
                name: name, shape: FamilyShape(kind: kind, help: help, labelNames: nil, buckets: buckets, isLazy: false), group: nil, cap: cap,
                onDrop: { metric in dropped.series(SeriesKey(names: ["metric"], values: [metric])) { CounterSeries() }.add(Int64(1)) })
            families[name] = family
            return family
        }
    }

    static func validate(buckets: [Double], metric: String) throws(MetricsDefinitionError) {
        if buckets.contains(where: { !$0.isFinite }) {
            throw .invalidBuckets(metric: metric, buckets: buckets, reason: "bounds must be finite (+Inf is always added)")
        }
        for (lower, upper) in zip(buckets, buckets.dropFirst()) where !(lower < upper) {
            throw .invalidBuckets(metric: metric, buckets: buckets, reason: "bounds must be strictly increasing, without duplicates")
        }
    }
}

extension MetricsRegistry {
    /// Counts one refused label combination (or refused handler) of `metric`.
    func countDrop(_ metric: String) {
        dropped.series(SeriesKey(names: ["metric"], values: [metric])) { CounterSeries() }.add(Int64(1))
    }
}
