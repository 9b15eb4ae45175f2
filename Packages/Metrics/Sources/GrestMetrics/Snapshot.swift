/// What a metric is, as Prometheus names it.
public enum MetricKind: String, Sendable, Hashable {
    case counter
    case gauge
    case histogram
}

/// A histogram series at one instant. `cumulativeCounts` has one entry per bound plus the last for `+Inf`.
public struct HistogramValue: Sendable, Hashable {
    public let bounds: [Double]
    public let cumulativeCounts: [UInt64]
    public let sum: Double
    public let count: UInt64
    /// Smallest and largest observation; 0 when empty (the grest-ts JSON shape).
    public let min: Double
    public let max: Double

    /// The cumulative count of the bucket whose upper bound is `le` (`.infinity` for `+Inf`).
    public func bucket(le: Double) -> UInt64? {
        if le == .infinity { return cumulativeCounts.last }
        return bounds.firstIndex(of: le).map { cumulativeCounts[$0] }
    }
}

/// The value of one series.
public enum SeriesValue: Sendable, Hashable {
    case counter(Double)
    case gauge(Double)
    case histogram(HistogramValue)

    /// The counter or gauge value; a histogram's sum.
    public var number: Double {
        switch self {
        case .counter(let value), .gauge(let value): value
        case .histogram(let histogram): histogram.sum
        }
    }
}

/// One series of a family in a snapshot.
public struct SeriesSnapshot: Sendable, Hashable {
    public let labels: [LabelPair]
    public let value: SeriesValue

    /// The value of label `name`.
    public func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }
}

/// One metric (family) in a snapshot: series sorted by label values, so the output order is stable.
public struct MetricFamilySnapshot: Sendable, Hashable {
    public let name: String
    public let help: String
    public let kind: MetricKind
    /// The declared group (``MetricGroup/name``), if any: the nested JSON shape groups by it.
    public let group: String?
    public let series: [SeriesSnapshot]

    /// The series whose labels are exactly `labels` (in any order).
    public func series(_ labels: [LabelPair]) -> SeriesSnapshot? {
        let wanted = Set(labels)
        return series.first { Set($0.labels) == wanted }
    }
}

/// Which metrics an export includes: by metric name or group name; `exclude` wins (grest-ts exporters).
public struct MetricsFilter: Sendable {
    public var include: Set<String>?
    public var exclude: Set<String>

    /// - Parameters:
    ///   - include: Metric or group names to keep; `nil` keeps everything.
    ///   - exclude: Metric or group names to drop, even when included.
    public init(include: Set<String>? = nil, exclude: Set<String> = []) {
        self.include = include
        self.exclude = exclude
    }

    public static let all = MetricsFilter()

    func admits(name: String, group: String?) -> Bool {
        if exclude.contains(name) || group.map(exclude.contains) == true { return false }
        guard let include else { return true }
        return include.contains(name) || group.map(include.contains) == true
    }
}
