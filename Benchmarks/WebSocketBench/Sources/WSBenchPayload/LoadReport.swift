// What both echo load clients (ws-load, ws-load-raw) report: their connections' results merged, as the one JSON line
// Scripts/bench-ws.sh reads, plus the process CPU and stderr helpers they share.
import Histogram

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connection's share of a run, merged into a ``LoadReport``.
public struct ConnectionResult: Sendable {
    public var messages = 0
    public var allMessages = 0  // warm-up included
    public var errors = 0
    public var failure: String?
    /// Round trips in µs (`nil` for a connection that never ran).
    public var histogram: Histogram<UInt64>?

    public init(messages: Int = 0, allMessages: Int = 0, errors: Int = 0, failure: String? = nil, histogram: Histogram<UInt64>? = nil) {
        self.messages = messages
        self.allMessages = allMessages
        self.errors = errors
        self.failure = failure
        self.histogram = histogram
    }

    /// An empty round-trip histogram: 1 µs to 60 s, 3 significant digits.
    public static func makeHistogram() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }
}

/// The merged results of a run and its JSON line.
public struct LoadReport {
    public var messages = 0
    public var allMessages = 0
    public var errors = 0
    public var failures: [String] = []
    public var histogram = ConnectionResult.makeHistogram()

    public init(_ results: [ConnectionResult]) {
        for result in results {
            if let partial = result.histogram { self.histogram.add(partial) }
            self.messages += result.messages
            self.allMessages += result.allMessages
            self.errors += result.errors
            if let failure = result.failure { self.failures.append(failure) }
        }
    }

    /// Writes "CLIENT: N connection(s) failed, first: …" to stderr when any did.
    public func reportFailures(client: String) {
        guard let first = self.failures.first else { return }
        writeStderr("\(client): \(self.failures.count) connection(s) failed, first: \(first)\n")
    }

    /// The JSON line: counts, rate, percentiles (µs), the run's settings, client CPU, then `extra` fields
    /// (already JSON, e.g. `"threads":1`).
    public func json(
        seconds: Double, connections: Int, size: Int, deflate: Bool, binary: Bool, cpuSeconds: Double, client: String,
        extra: [String] = []
    ) -> String {
        let fields = [
            "\"messages\":\(self.messages)", "\"seconds\":\(seconds)", "\"msgPerSec\":\(format(Double(self.messages) / seconds))",
            "\"p50us\":\(self.histogram.valueAtPercentile(50))", "\"p99us\":\(self.histogram.valueAtPercentile(99))",
            "\"p999us\":\(self.histogram.valueAtPercentile(99.9))", "\"maxus\":\(self.histogram.max)", "\"errors\":\(self.errors)",
            "\"connections\":\(connections)", "\"size\":\(size)", "\"deflate\":\(deflate)", "\"binary\":\(binary)",
            "\"allMessages\":\(self.allMessages)", "\"clientCpuSeconds\":\(format(cpuSeconds, digits: 3))",
            "\"client\":\(jsonString(client))",
        ]
        return "{" + (fields + extra).joined(separator: ",") + "}"
    }
}

#if canImport(Glibc)
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

/// User + system CPU seconds of this process so far.
public func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF_WHO, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// `value` rounded to `digits` decimals.
public func format(_ value: Double, digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return String(Double(Int((value * scale).rounded())) / scale)
}

/// `text` as a JSON string literal (control characters become spaces).
public func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20: out += " "
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Unbuffered write to fd 2.
public func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
