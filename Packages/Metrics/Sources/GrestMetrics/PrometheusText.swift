/// The text exposition formats a scraper can ask for.
public enum ExpositionFormat: Sendable, Hashable {
    /// Prometheus text format 0.0.4.
    case prometheus
    /// OpenMetrics 1.0 text (ends with `# EOF`).
    case openMetrics

    /// The `Content-Type` of a response in this format.
    public var contentType: String {
        switch self {
        case .prometheus: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format a scraper's `Accept` header asks for: OpenMetrics when it lists `application/openmetrics-text`
    /// (with a non-zero quality), else Prometheus 0.0.4.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheus }
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces() }
            guard parts.first?.lowercased() == "application/openmetrics-text" else { continue }
            let quality = parts.dropFirst().first { $0.lowercased().hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0 { return .openMetrics }
        }
        return .prometheus
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}

/// Writes snapshots as Prometheus 0.0.4 or OpenMetrics 1.0 text.
///
/// Label values are escaped (`\` → `\\`, `"` → `\"`, newline → `\n`) and may hold any other bytes; help text
/// escapes `\` and newline (and `"` in OpenMetrics). NaN and infinities are written `NaN`, `+Inf`, `-Inf`.
public enum ExpositionWriter {
    public static func write(_ families: [MetricFamilySnapshot], format: ExpositionFormat) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(families.reduce(0) { $0 + 64 + $1.series.count * 64 })
        for family in families { write(family, format: format, into: &out) }
        if format == .openMetrics { out.append(contentsOf: "# EOF\n".utf8) }
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ family: MetricFamilySnapshot, format: ExpositionFormat, into out: inout [UInt8]) {
        let open = format == .openMetrics
        // OpenMetrics names a counter family without `_total` and its sample with it.
        var familyName = family.name
        var sampleName = family.name
        if open, family.kind == .counter {
            if familyName.hasSuffix("_total") { familyName.removeLast(6) } else { sampleName += "_total" }
        }
        out.append(contentsOf: "# HELP ".utf8)
        out.append(contentsOf: familyName.utf8)
        out.append(UInt8(ascii: " "))
        escape(family.help, quotes: open, into: &out)
        out.append(contentsOf: "\n# TYPE ".utf8)
        out.append(contentsOf: familyName.utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: family.kind.rawValue.utf8)
        out.append(UInt8(ascii: "\n"))
        for series in family.series {
            switch series.value {
            case .counter(let value), .gauge(let value):
                sample(sampleName, series.labels, nil, value: value, into: &out)
            case .histogram(let histogram):
                for (index, bound) in histogram.bounds.enumerated() {
                    sample(family.name + "_bucket", series.labels, bound, value: Double(histogram.cumulativeCounts[index]), into: &out)
                }
                sample(family.name + "_bucket", series.labels, .infinity, value: Double(histogram.count), into: &out)
                sample(family.name + "_count", series.labels, nil, value: Double(histogram.count), into: &out)
                sample(family.name + "_sum", series.labels, nil, value: histogram.sum, into: &out)
            }
        }
    }

    private static func sample(_ name: String, _ labels: [LabelPair], _ le: Double?, value: Double, into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        if !labels.isEmpty || le != nil {
            out.append(UInt8(ascii: "{"))
            var first = true
            for label in labels {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(contentsOf: label.name.utf8)
                out.append(contentsOf: "=\"".utf8)
                escape(label.value, quotes: true, into: &out)
                out.append(UInt8(ascii: "\""))
            }
            if let le {
                if !first { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: "le=\"".utf8)
                out.append(contentsOf: number(le).utf8)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: number(value).utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// A number as both formats spell it: `NaN`, `+Inf`, `-Inf`, integers without a fraction up to 2^53,
    /// else Swift's shortest round-trip form (`0.005`, `1e-07`), which Python's `float()` and Go's parser read.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) + ".0" }
        return value.description
    }

    static func escape(_ text: String, quotes: Bool, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where quotes: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: out.append(byte)
            }
        }
    }
}

extension MetricsRegistry {
    /// The registry (filtered) in `format`.
    public func exposition(_ format: ExpositionFormat = .prometheus, filter: MetricsFilter = .all) -> String {
        ExpositionWriter.write(snapshot(filter), format: format)
    }
}
