public import GrestSchema
import Synchronization

/// Stands in for one method of another service during one test call (grest-ts `Api.mock.method`): answers
/// with a value, a closure's result or an error, checks the requests it gets and how many.
///
/// ```swift
/// try await harness.callOn(OrdersHTTP).call(OrdersApi.place, order)
///     .with(mock(UsersApi.get).returning(alice).times(1))
///     .expect(matching: ["status": "placed"])
///     .run()
/// ```
///
/// Per method: other methods of the same API still reach the real service. Scoped to the test call that
/// carries it, so parallel tests can mock the same method with different answers.
public struct HTTPMock<Input: Sendable, Success: Sendable>: TestExpectation {
    enum Answer: Sendable {
        case none
        case value(Success)
        case compute(@Sendable (Input) async throws -> Success)
        case error(ServiceError)
    }

    let method: ContractMethod<Input, Success>
    var apiName: String?
    var answer = Answer.none
    var expectedCalls = 1
    var delay: Duration?
    var matchers: [@Sendable (Input, JSONValue?) -> String?] = []

    init(method: ContractMethod<Input, Success>, apiName: String?) {
        self.method = method
        self.apiName = apiName
    }

    /// Answers every call with `value`.
    public func returning(_ value: Success) -> Self {
        var copy = self
        copy.answer = .value(value)
        return copy
    }

    /// Answers each call with what `compute` returns for its (validated) input; a thrown ``ServiceError`` is the
    /// reply.
    public func returning(_ compute: @escaping @Sendable (Input) async throws -> Success) -> Self {
        var copy = self
        copy.answer = .compute(compute)
        return copy
    }

    /// Answers every call with `error`.
    public func throwing(_ error: ServiceError) -> Self {
        var copy = self
        copy.answer = .error(error)
        return copy
    }

    /// Expects exactly `count` calls (1 unless set): fewer or more fails the test.
    public func times(_ count: Int) -> Self {
        var copy = self
        copy.expectedCalls = count
        return copy
    }

    /// Waits `duration` before answering.
    public func delay(_ duration: Duration) -> Self {
        var copy = self
        copy.delay = duration
        return copy
    }

    /// Expects every request to contain `subset` (JSON subset of the raw input: path params, query, body).
    public func expecting(matching subset: JSONValue) -> Self {
        var copy = self
        copy.matchers.append { _, raw in
            JSONSubset.mismatch(expected: subset, actual: raw ?? .null).map { "request to mocked \(method.name) does not match:\n\($0)" }
        }
        return copy
    }

    /// Expects every request to pass `predicate`.
    public func expecting(_ description: String = "predicate", _ predicate: @escaping @Sendable (Input) -> Bool) -> Self {
        var copy = self
        copy.matchers.append { input, _ in predicate(input) ? nil : "request to mocked \(method.name) fails \(description)" }
        return copy
    }

    public func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation {
        guard let harness else { throw TestKitError.noHarness("mock(\(method.name))") }
        let active = ActiveMock(mock: self)
        let id = harness.interceptors.add(active, scope: scope)
        active.unregister.withLock { $0 = { harness.interceptors.remove(id, scope: scope) } }
        return active
    }
}

extension HTTPMock where Success == Void {
    /// Answers every call with an empty success.
    public func returning() -> Self { returning(()) }
}

/// A mock of `method` of another service; `api` narrows it to one contract when several have that method name.
public func mock<Input, Success>(_ method: ContractMethod<Input, Success>, api: String? = nil) -> HTTPMock<Input, Success> {
    HTTPMock(method: method, apiName: api)
}

final class ActiveMock<Input: Sendable, Success: Sendable>: HTTPInterceptor, ActiveExpectation {
    struct State {
        var calls = 0
        var problems: [String] = []
    }

    let mock: HTTPMock<Input, Success>
    let state = Mutex(State())
    let signal = Signal()
    let unregister = Mutex<(@Sendable () -> Void)?>(nil)

    init(mock: HTTPMock<Input, Success>) { self.mock = mock }

    var methodName: String { mock.method.name }
    var apiName: String? { mock.apiName }

    func handle(_ raw: JSONValue?, forward: @Sendable (JSONValue?) async -> ContractReply) async -> ContractReply {
        let method = mock.method
        let input: Input
        do {
            input = try method.parseInput(raw)
        } catch {
            record("mocked \(method.name) received invalid input: \(error.toText(includeDebug: false))")
            return ContractReply(error: error)
        }
        let problems = mock.matchers.compactMap { $0(input, raw) }
        state.withLock { state in
            state.calls += 1
            state.problems += problems
        }
        signal.notify()
        if let delay = mock.delay { try? await Task.sleep(for: delay) }
        switch mock.answer {
        case .none:
            record("mocked \(method.name) has no answer: add .returning(…) or .throwing(…)")
            return ContractReply(error: SERVER_ERROR(debugMessage: "mock of \(method.name) has no answer"))
        case .value(let value):
            return method.encodeSuccess(value)
        case .compute(let compute):
            do {
                return method.encodeSuccess(try await compute(input))
            } catch {
                return ContractReply(error: method.checkedError(error))
            }
        case .error(let error):
            return ContractReply(error: error)
        }
    }

    private func record(_ problem: String) {
        state.withLock { $0.problems.append(problem) }
    }

    var isSatisfied: Bool { state.withLock { $0.calls >= mock.expectedCalls } }

    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        await signal.wait(until: deadline) { self.isSatisfied }
    }

    func failures() -> [String] {
        let (calls, problems) = state.withLock { ($0.calls, $0.problems) }
        var failures = problems
        if calls != mock.expectedCalls {
            failures.append("mock of \(mock.method.name): expected exactly \(mock.expectedCalls) call(s), got \(calls)")
        }
        return failures
    }

    func deactivate() {
        unregister.withLock { $0 }?()
    }
}
