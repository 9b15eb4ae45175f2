public import Logging
import Synchronization

/// One captured log line.
public struct CapturedLog: Sendable {
    public let level: Logger.Level
    public let message: String
    public let metadata: Logger.Metadata
    public let label: String
}

/// The log lines of one app, captured by a swift-log handler (no global bootstrap: the app logs through the
/// environment's logger).
public final class LogCapture: Sendable {
    private let lines = Mutex<[CapturedLog]>([])
    let signal = Signal()

    public init() {}

    /// Every line so far.
    public var all: [CapturedLog] { lines.withLock { $0 } }

    /// A logger whose lines land here (and nowhere else).
    public func logger(label: String, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in CaptureHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }

    func append(_ line: CapturedLog) {
        lines.withLock { $0.append(line) }
        signal.notify()
    }

    var count: Int { lines.withLock { $0.count } }

    func lines(from index: Int) -> ArraySlice<CapturedLog> {
        lines.withLock { $0[min(index, $0.count)...] }
    }
}

struct CaptureHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        capture.append(CapturedLog(level: event.level, message: event.message.description, metadata: merged, label: label))
    }
}

/// Expects a log line at `level` or above whose message contains `text`, written during the call (or the wait).
///
/// ```swift
/// .with(harness.expectLog(in: "orders", containing: "order placed"))
/// ```
public struct LogExpectation: TestExpectation {
    let capture: LogCapture
    let text: String
    let level: Logger.Level

    public func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation {
        ActiveLogExpectation(expectation: self, start: capture.count)
    }
}

final class ActiveLogExpectation: ActiveExpectation {
    let expectation: LogExpectation
    let start: Int

    init(expectation: LogExpectation, start: Int) {
        self.expectation = expectation
        self.start = start
    }

    var isSatisfied: Bool {
        expectation.capture.lines(from: start).contains { $0.level >= expectation.level && $0.message.contains(expectation.text) }
    }

    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        await expectation.capture.signal.wait(until: deadline) { self.isSatisfied }
    }

    func failures() -> [String] {
        if isSatisfied { return [] }
        let seen = expectation.capture.lines(from: start).map { "    [\($0.level)] \($0.message)" }
        return [
            "expected a log line (\(expectation.level) or above) containing \"\(expectation.text)\"; logged during the call:\n"
                + (seen.isEmpty ? "    (nothing)" : seen.joined(separator: "\n"))
        ]
    }
}
