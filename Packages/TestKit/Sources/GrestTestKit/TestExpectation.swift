/// Something checked around a test call: a mock, a spy, an expected push, a log line, a metric delta.
///
/// Pass one to ``TestCall/with(_:)`` (checked right after the call) or ``TestCall/waitFor(_:timeout:)`` (awaited
/// after the call, until met or timed out). A metrics package plugs in by conforming its delta type, or through
/// ``MetricDelta`` with a `read` closure.
public protocol TestExpectation: Sendable {
    /// Starts watching, before the call runs. `scope` is the test scope the call carries.
    func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation
}

/// A running ``TestExpectation``.
public protocol ActiveExpectation: Sendable {
    /// Whether what it waits for has happened (enough calls, the push arrived, the delta reached).
    var isSatisfied: Bool { get }
    /// Returns once satisfied or at `deadline`. The default polls ``isSatisfied`` every 10 ms (for values that
    /// change without telling anyone, such as a metric); event sources override it to wake on the event.
    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async
    /// What went wrong, one message per problem; empty when met.
    func failures() -> [String]
    /// Stops intercepting (a mock stops answering).
    func deactivate()
}

extension ActiveExpectation {
    public func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        while !isSatisfied, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func deactivate() {}
}
