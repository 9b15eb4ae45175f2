#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A JSON tree with ordered keys, as the exporters build it.
indirect enum JSONTree: Sendable, Equatable {
    case number(Double)
    case string(String)
    case object([(String, JSONTree)])
    case array([JSONTree])

    static func == (lhs: JSONTree, rhs: JSONTree) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): a == b
        default: false
        }
    }

    /// Sets `value` at `path`, creating objects on the way (an existing non-object on the path is replaced).
    mutating func set(_ path: ArraySlice<String>, _ value: JSONTree) {
        guard let key = path.first else {
            self = value
            return
        }
        guard case .object(var members) = self else {
            self = .object([])
            set(path, value)
            return
        }
        self = .number(0)  // release the storage so `members` is uniquely referenced
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1.set(path.dropFirst(), value)
        } else {
            var child = JSONTree.object([])
            child.set(path.dropFirst(), value)
            members.append((key, child))
        }
        self = .object(members)
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .number(let value):
            // JSON has no NaN or infinities: they are written as null.
            out.append(contentsOf: (value.isFinite ? JSONExport.number(value) : "null").utf8)
        case .string(let text):
            JSONExport.quote(text, into: &out)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONExport.quote(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}

/// The grest-ts JSON exporters' shapes, so a grest-ts dashboard can read a Swift service.
///
/// - ``flat(_:timestamp:)`` (`GGJsonMetricsExporter`): `{"timestamp": ms, "metrics": {name: {"name", "type", "help",
///   "values": [{"labels": {…}, "value": v}]}}}`; a histogram's value is `{"count", "sum", "avg", "min", "max",
///   "buckets": {"0.1": n, …, "+Inf": n}}` (cumulative; grest-ts has no `+Inf`, this adds it).
/// - ``nested(_:timestamp:)`` (`GGNestedMetricsExporter`): `{"timestamp": ms, "groups": {group: [row]}}`, one row per
///   combination of the labels every metric of the group shares; each metric under its short name (the name
///   without the `group_` prefix); labels not shared nest as `{label: {value: {metric: v}}}`.
///
/// Label values go through JSON string escaping, so `,` and `=` survive (grest-ts' series keys corrupt them).
/// NaN and infinities are written as `null`.
public enum JSONExport {
    public static func flat(_ families: [MetricFamilySnapshot], timestamp: Int64 = currentMilliseconds()) -> String {
        var metrics: [(String, JSONTree)] = []
        for family in families {
            let values = family.series.map { series in
                JSONTree.object([("labels", labels(series.labels)), ("value", value(series.value))])
            }
            metrics.append(
                (
                    family.name,
                    .object([
                        ("name", .string(family.name)), ("type", .string(family.kind.rawValue)), ("help", .string(family.help)),
                        ("values", .array(values)),
                    ])
                ))
        }
        var out: [UInt8] = []
        out.append(contentsOf: "{\"timestamp\":\(timestamp),\"metrics\":".utf8)
        JSONTree.object(metrics).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func nested(_ families: [MetricFamilySnapshot], timestamp: Int64 = currentMilliseconds()) -> String {
        var groups: [(String, [MetricFamilySnapshot])] = []
        for family in families {
            let group = family.group ?? family.name
            if let index = groups.firstIndex(where: { $0.0 == group }) { groups[index].1.append(family) } else { groups.append((group, [family])) }
        }
        var out: [UInt8] = []
        out.append(contentsOf: "{\"timestamp\":\(timestamp),\"groups\":{".utf8)
        for (groupIndex, (group, members)) in groups.enumerated() {
            if groupIndex > 0 { out.append(UInt8(ascii: ",")) }
            quote(group, into: &out)
            out.append(contentsOf: ":[".utf8)
            var shared: Set<String>?
            for family in members {
                let names = Set(family.series.flatMap { $0.labels.map(\.name) })
                shared = shared.map { $0.intersection(names) } ?? names
            }
            let sharedNames = shared ?? []
            var rows: [([LabelPair], JSONTree)] = []
            for family in members {
                let short = family.name.hasPrefix(group + "_") ? String(family.name.dropFirst(group.count + 1)) : family.name
                for series in family.series {
                    let key = series.labels.filter { sharedNames.contains($0.name) }
                    let extra = series.labels.filter { !sharedNames.contains($0.name) }
                    let path = extra.flatMap { [$0.name, $0.value] } + [short]
                    if let index = rows.firstIndex(where: { $0.0 == key }) {
                        rows[index].1.set(path[...], value(series.value))
                    } else {
                        var row = JSONTree.object(key.map { ($0.name, JSONTree.string($0.value)) })
                        row.set(path[...], value(series.value))
                        rows.append((key, row))
                    }
                }
            }
            for (rowIndex, row) in rows.enumerated() {
                if rowIndex > 0 { out.append(UInt8(ascii: ",")) }
                row.1.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Milliseconds since 1970 (the grest-ts `timestamp`).
    public static func currentMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    private static func labels(_ pairs: [LabelPair]) -> JSONTree { .object(pairs.map { ($0.name, .string($0.value)) }) }

    private static func value(_ value: SeriesValue) -> JSONTree {
        switch value {
        case .counter(let number), .gauge(let number): return .number(number)
        case .histogram(let histogram):
            var buckets: [(String, JSONTree)] = zip(histogram.bounds, histogram.cumulativeCounts).map { (number($0), .number(Double($1))) }
            buckets.append(("+Inf", .number(Double(histogram.count))))
            let count = Double(histogram.count)
            return .object([
                ("count", .number(count)), ("sum", .number(histogram.sum)), ("avg", .number(count == 0 ? 0 : histogram.sum / count)),
                ("min", .number(histogram.min)), ("max", .number(histogram.max)), ("buckets", .object(buckets)),
            ])
        }
    }

    /// A number as JavaScript prints it (`10`, `0.5`, `1e-7`): bucket keys match grest-ts'.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension MetricsRegistry {
    /// The grest-ts `GGJsonMetricsExporter` shape.
    public func json(filter: MetricsFilter = .all) -> String { JSONExport.flat(snapshot(filter)) }

    /// The grest-ts `GGNestedMetricsExporter` shape.
    public func nestedJSON(filter: MetricsFilter = .all) -> String { JSONExport.nested(snapshot(filter)) }
}
