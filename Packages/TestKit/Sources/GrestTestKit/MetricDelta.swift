import Synchronization

/// Expects a metric to change by `delta` across the call (grest-ts `metrics.expect(…).toHaveDelta(n)`).
///
/// The seam for GrestMetrics: anything that can read the current value plugs in as `read`. Waiting polls (a
/// metric changes without telling anyone), so `.waitFor(metricDelta…)` really waits, unlike grest-ts's.
///
/// ```swift
/// .waitFor(MetricDelta("grest_ws_requests_total", by: 1) { registry.counter("grest_ws_requests_total").value })
/// ```
public struct MetricDelta: TestExpectation {
    public let name: String
    public let delta: Double
    let read: @Sendable () async -> Double

    public init(_ name: String, by delta: Double, read: @escaping @Sendable () async -> Double) {
        self.name = name
        self.delta = delta
        self.read = read
    }

    public func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation {
        ActiveMetricDelta(delta: self, baseline: await read())
    }
}

final class ActiveMetricDelta: ActiveExpectation {
    let delta: MetricDelta
    let baseline: Double
    private let latest: LatestValue

    init(delta: MetricDelta, baseline: Double) {
        self.delta = delta
        self.baseline = baseline
        self.latest = LatestValue(baseline)
    }

    var isSatisfied: Bool { latest.value - baseline == delta.delta }

    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        repeat {
            latest.value = await delta.read()
            if isSatisfied { return }
            try? await Task.sleep(for: .milliseconds(10))
        } while ContinuousClock.now < deadline && !Task.isCancelled
    }

    func failures() -> [String] {
        let change = latest.value - baseline
        return change == delta.delta ? [] : ["metric \(delta.name): expected a change of \(delta.delta), got \(change)"]
    }
}

final class LatestValue: Sendable {
    private let storage: Mutex<Double>

    init(_ value: Double) { storage = Mutex(value) }

    var value: Double {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
