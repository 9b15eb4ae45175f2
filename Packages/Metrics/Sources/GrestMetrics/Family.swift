import Synchronization

/// Everything that identifies a metric's declaration; two registrations of one name must agree on all of it.
struct FamilyShape: Equatable, Sendable, CustomStringConvertible {
    let kind: MetricKind
    let help: String
    let labelNames: [String]?
    let buckets: [Double]
    let isLazy: Bool

    var description: String {
        var text = "\(isLazy ? "lazy " : "")\(kind.rawValue), help \"\(help)\""
        if let labelNames { text += ", labels \(labelNames)" }
        if kind == .histogram { text += ", buckets \(buckets)" }
        return text
    }
}

/// The series of one metric name, created on first use of each label combination (under the lock); recording
/// goes straight to the series' atomics.
final class MetricFamily: Sendable {
    let name: String
    let shape: FamilyShape
    let group: String?
    let cap: Int?
    private let series = Mutex<[SeriesKey: any AnyObject & Sendable]>([:])
    /// Label combinations already sent to the overflow series (so each is counted as dropped once), bounded.
    private let dropped = Mutex<Set<SeriesKey>>([])
    let collect: (@Sendable () -> [(SeriesKey, Double)])?
    let onDrop: @Sendable (String) -> Void

    init(
        name: String, shape: FamilyShape, group: String?, cap: Int?, collect: (@Sendable () -> [(SeriesKey, Double)])? = nil,
        onDrop: @escaping @Sendable (String) -> Void
    ) {
        self.name = name
        self.shape = shape
        self.group = group
        self.cap = cap
        self.collect = collect
        self.onDrop = onDrop
    }

    /// The series for `key`, created if new; past the cap, the overflow series (and the drop is counted).
    func series<S: AnyObject & Sendable>(_ key: SeriesKey, make: () -> S) -> S {
        let (found, overflowed) = series.withLock { table -> (S, Bool) in
            if let existing = table[key] { return (existing as! S, false) }
            if let cap, table.count >= cap {
                let overflow = key.overflow
                if let existing = table[overflow] { return (existing as! S, true) }
                let created = make()
                table[overflow] = created
                return (created, true)
            }
            let created = make()
            table[key] = created
            return (created, false)
        }
        if overflowed {
            let isNew = dropped.withLock { set -> Bool in
                if set.count >= 10_000 { return true }
                return set.insert(key).inserted
            }
            if isNew { onDrop(name) }
        }
        return found
    }

    /// The existing series for `key`; never creates one.
    func existing(_ key: SeriesKey) -> (any AnyObject & Sendable)? { series.withLock { $0[key] } }

    var seriesCount: Int { series.withLock { $0.count } }

    func reset() {
        series.withLock { $0.removeAll() }
        dropped.withLock { $0.removeAll() }
    }

    func snapshot() -> MetricFamilySnapshot {
        var rows: [(SeriesKey, SeriesValue)] = []
        if let collect {
            rows = collect().map { ($0.0, SeriesValue.gauge($0.1)) }
        } else {
            let entries = series.withLock { Array($0) }
            rows.reserveCapacity(entries.count)
            for (key, object) in entries {
                switch shape.kind {
                case .counter: rows.append((key, .counter((object as! CounterSeries).value)))
                case .gauge: rows.append((key, .gauge((object as! GaugeSeries).value)))
                case .histogram: rows.append((key, .histogram((object as! HistogramSeries).snapshot)))
                }
            }
        }
        rows.sort { lhs, rhs in
            lhs.0.values.lexicographicallyPrecedes(rhs.0.values)
                || (lhs.0.values == rhs.0.values && lhs.0.names.lexicographicallyPrecedes(rhs.0.names))
        }
        return MetricFamilySnapshot(
            name: name, help: shape.help, kind: shape.kind, group: group, series: rows.map { SeriesSnapshot(labels: $0.0.pairs, value: $0.1) })
    }
}
