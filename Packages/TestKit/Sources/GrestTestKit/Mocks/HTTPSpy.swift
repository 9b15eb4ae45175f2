public import GrestSchema
import Synchronization

/// Watches one method of another service during one test call (grest-ts `Api.spy.method`): every call goes on
/// to the real service with its real path, query, body and headers; the spy checks the requests, the replies
/// and how many there were.
///
/// ```swift
/// .with(spy(UsersApi.get).expecting(matching: ["id": "alice"]).responding(matching: ["name": "Alice"]))
/// ```
public struct HTTPSpy<Input: Sendable, Success: Sendable>: TestExpectation {
    let method: ContractMethod<Input, Success>
    var apiName: String?
    var expectedCalls = 1
    var requestSubset: JSONValue?
    var responseSubset: JSONValue?

    /// Expects exactly `count` calls (1 unless set).
    public func times(_ count: Int) -> Self {
        var copy = self
        copy.expectedCalls = count
        return copy
    }

    /// Expects every request's raw input to contain `subset`.
    public func expecting(matching subset: JSONValue) -> Self {
        var copy = self
        copy.requestSubset = subset
        return copy
    }

    /// Expects every reply envelope's `data` to contain `subset`.
    public func responding(matching subset: JSONValue) -> Self {
        var copy = self
        copy.responseSubset = subset
        return copy
    }

    public func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation {
        guard let harness else { throw TestKitError.noHarness("spy(\(method.name))") }
        let active = ActiveSpy(spy: self)
        let id = harness.interceptors.add(active, scope: scope)
        active.unregister.withLock { $0 = { harness.interceptors.remove(id, scope: scope) } }
        return active
    }
}

/// A spy on `method` of another service.
public func spy<Input, Success>(_ method: ContractMethod<Input, Success>, api: String? = nil) -> HTTPSpy<Input, Success> {
    HTTPSpy(method: method, apiName: api)
}

final class ActiveSpy<Input: Sendable, Success: Sendable>: HTTPInterceptor, ActiveExpectation {
    let spy: HTTPSpy<Input, Success>
    let state = Mutex((calls: 0, problems: [String]()))
    let signal = Signal()
    let unregister = Mutex<(@Sendable () -> Void)?>(nil)

    init(spy: HTTPSpy<Input, Success>) { self.spy = spy }

    var methodName: String { spy.method.name }
    var apiName: String? { spy.apiName }

    func handle(_ raw: JSONValue?, forward: @Sendable (JSONValue?) async -> ContractReply) async -> ContractReply {
        var problems: [String] = []
        if let subset = spy.requestSubset, let mismatch = JSONSubset.mismatch(expected: subset, actual: raw ?? .null) {
            problems.append("request to spied \(spy.method.name) does not match:\n\(mismatch)")
        }
        let reply = await forward(raw)
        if let subset = spy.responseSubset {
            let envelope = try? JSONParser().parse(reply.body)
            if case .object(let object)? = envelope, object["success"] == .bool(true) {
                if let mismatch = JSONSubset.mismatch(expected: subset, actual: object["data"] ?? .null) {
                    problems.append("reply of spied \(spy.method.name) does not match:\n\(mismatch)")
                }
            } else {
                problems.append("spied \(spy.method.name) failed: \(reply.error?.toText(includeDebug: false) ?? "unreadable reply")")
            }
        }
        state.withLock { state in
            state.calls += 1
            state.problems += problems
        }
        signal.notify()
        return reply
    }

    var isSatisfied: Bool { state.withLock { $0.calls >= spy.expectedCalls } }

    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        await signal.wait(until: deadline) { self.isSatisfied }
    }

    func failures() -> [String] {
        let (calls, problems) = state.withLock { ($0.calls, $0.problems) }
        return problems
            + (calls == spy.expectedCalls ? [] : ["spy on \(spy.method.name): expected exactly \(spy.expectedCalls) call(s), got \(calls)"])
    }

    func deactivate() {
        unregister.withLock { $0 }?()
    }
}
