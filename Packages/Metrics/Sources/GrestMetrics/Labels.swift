/// The label names of a metric and the values of one series, as a type: declare a struct once and every call
/// site names its labels by field, never by a loose dictionary key.
///
/// ```swift
/// struct RouteLabels: MetricLabels {
///     static let names = ["api", "method"]
///     var api: String
///     var method: String
///     var values: [String] { [api, method] }
/// }
/// ```
public protocol MetricLabels: Hashable, Sendable {
    /// The label names, in exposition order. Each matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with `__`.
    static var names: [String] { get }
    /// This series' values, one per name, in the same order. Any bytes are allowed; the writers escape them.
    var values: [String] { get }
}

/// A metric without labels.
public struct NoLabels: MetricLabels {
    public static let names: [String] = []
    public var values: [String] { [] }
    public init() {}
}

/// One label of a series in a snapshot.
public struct LabelPair: Sendable, Hashable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The identity of a series inside a family: names and values in exposition order.
struct SeriesKey: Hashable, Sendable {
    let names: [String]
    let values: [String]

    static let empty = SeriesKey(names: [], values: [])

    var pairs: [LabelPair] { zip(names, values).map { LabelPair($0, $1) } }

    /// Every value replaced by the overflow marker.
    var overflow: SeriesKey { SeriesKey(names: names, values: names.map { _ in overflowLabelValue }) }
}

/// The label value of the one series that collects everything recorded past a metric's cap.
public let overflowLabelValue = "__overflow__"

enum NameRules {
    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") }
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") }
    }

    /// A swift-metrics label or dimension turned into a valid name: every other byte becomes `_`.
    static func sanitize(_ name: String, allowColon: Bool) -> String {
        var bytes = name.utf8.map { byte -> UInt8 in
            isAlnum(byte) || byte == UInt8(ascii: "_") || (allowColon && byte == UInt8(ascii: ":")) ? byte : UInt8(ascii: "_")
        }
        if bytes.isEmpty || (0x30...0x39).contains(bytes[0]) { bytes.insert(UInt8(ascii: "_"), at: 0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
