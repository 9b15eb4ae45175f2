public import GrestSchema
public import Testing

/// One call to the app under test, built as a value and run exactly once by ``run(sourceLocation:)``
/// (grest-ts `GGTestAction`). Modifiers add checks; failures are recorded as test issues at the line of
/// `try await … .run()`, interceptor failures before reply mismatches.
///
/// ```swift
/// try await harness.callOn(ChatHTTPApi.schema, as: .bearer("alice"))
///     .call(ChatHTTPApi.messages)
///     .expect(matching: [["text": "hi"]])
///     .run()
/// ```
///
/// Awaiting the same value twice sends one request and returns the same result twice.
public struct TestCall<Output: Sendable>: Sendable {
    /// `Api.method`, for messages.
    public let label: String
    let harness: GrestHarness?
    let perform: @Sendable (TestScopeID) async -> TestReply<Output>
    var checks: [@Sendable (TestReply<Output>) -> [String]] = []
    var expectations: [any TestExpectation] = []
    var waits: [PendingWait] = []
    /// The scope every run of this call carries; a fresh one per run when `nil` (sockets pass their connection's).
    var fixedScope: TestScopeID?
    private var once = Once<Output>()

    init(label: String, harness: GrestHarness?, perform: @escaping @Sendable (TestScopeID) async -> TestReply<Output>) {
        self.label = label
        self.harness = harness
        self.perform = perform
    }

    private func adding(_ change: (inout TestCall) -> Void) -> TestCall {
        var copy = self
        change(&copy)
        copy.once = Once()
        return copy
    }

    // MARK: Reply checks

    /// Expects success with data equal to `expected`.
    public func expect(equals expected: Output) -> TestCall where Output: Equatable {
        adding { call in
            call.checks.append { reply in
                switch reply.result {
                case .success(let value) where value == expected: return []
                case .success(let value): return ["expected \(String(reflecting: expected)),\n     got \(String(reflecting: value))"]
                case .failure(let error): return ["Expected success, but got error '\(error.type)': \(error.toText(includeDebug: false))"]
                }
            }
        }
    }

    /// Expects success whose JSON data contains `subset` (grest-ts `toMatchObject`); the failure lists every
    /// differing path.
    public func expect(matching subset: JSONValue) -> TestCall {
        adding { call in
            call.checks.append { reply in
                guard case .success = reply.result else {
                    return ["Expected success matching \(JSONSubset.render(subset)), but got \(reply.summary)"]
                }
                guard let mismatch = JSONSubset.mismatch(expected: subset, actual: reply.data ?? .null) else { return [] }
                return ["reply does not match:\n\(mismatch)\n  reply: \(JSONSubset.render(reply.data ?? .null))"]
            }
        }
    }

    /// Expects success for which `predicate` holds.
    public func expect(_ description: String = "predicate", _ predicate: @escaping @Sendable (Output) -> Bool) -> TestCall {
        adding { call in
            call.checks.append { reply in
                switch reply.result {
                case .success(let value): return predicate(value) ? [] : ["reply \(String(reflecting: value)) fails \(description)"]
                case .failure(let error): return ["Expected success, but got error '\(error.type)'"]
                }
            }
        }
    }

    /// Expects the call to fail with `kind` (its TYPE); the call's value is then the error, with its type kept.
    /// A success (or another TYPE) is recorded as an issue, and the value is a `SERVER_ERROR` describing it, so the
    /// test goes on. Put reply checks before it: later ones apply to the error.
    ///
    /// ```swift
    /// let error = try await api.call(ItemsApi.get, id).expectError(NOT_FOUND).run()
    /// ```
    public func expectError<Data>(_ kind: ErrorKind<Data>) -> TestCall<ServiceError> {
        mapToError(expectedType: kind.type) { _ in [] }
    }

    /// Expects `VALIDATION_ERROR` with an issue of each `code` at each dotted `path` (`items.0.id`).
    public func expectValidation(_ codes: [String: String]) -> TestCall<ServiceError> {
        mapToError(expectedType: VALIDATION_ERROR.type) { error in
            let issues = error.data.flatMap(IssueList.init(json:))?.issues ?? []
            var failures: [String] = []
            for (path, code) in codes.sorted(by: { $0.key < $1.key }) where !issues.contains(where: { $0.path == path && $0.code == code }) {
                let found = issues.filter { $0.path == path }.map(\.code)
                failures.append("expected issue '\(code)' at '\(path)', found \(found.isEmpty ? "none" : found.joined(separator: ", "))")
            }
            if failures.isEmpty { return [] }
            return [(failures + ["all issues: " + issues.map { "\($0.path): \($0.code)" }.joined(separator: "; ")]).joined(separator: "\n  ")]
        }
    }

    private func mapToError(expectedType: String, check: @escaping @Sendable (ServiceError) -> [String]) -> TestCall<ServiceError> {
        let base = self
        var mapped = TestCall<ServiceError>(label: label, harness: harness) { scope in
            let reply = await base.perform(scope)
            let earlier = reply.failures + base.checks.flatMap { $0(reply) }
            switch reply.result {
            case .success:
                // Recorded as an issue; the value is a SERVER_ERROR describing it, so the test goes on.
                let failure = "Expected error '\(expectedType)', but got \(reply.summary)"
                return TestReply(
                    result: .success(SERVER_ERROR(debugMessage: failure)), envelope: reply.envelope, failures: earlier + [failure])
            case .failure(let error):
                var failures = earlier
                if error.type != expectedType {
                    failures.append("Expected error '\(expectedType)', but got \(reply.summary)")
                } else {
                    failures += check(error)
                }
                return TestReply(result: .success(error), envelope: reply.envelope, failures: failures)
            }
        }
        mapped.expectations = expectations
        mapped.waits = waits
        mapped.fixedScope = fixedScope
        return mapped
    }

    // MARK: Around the call

    /// Installs `expectations` (mocks, spies, log or metric expectations) before the call and checks them right
    /// after it.
    public func with(_ expectations: any TestExpectation...) -> TestCall {
        adding { $0.expectations += expectations }
    }

    /// After the call, waits up to `timeout` for `expectation` to be met (a late push, a mocked call made in the
    /// background), then checks it. It stays installed for the whole wait.
    public func waitFor(_ expectation: any TestExpectation, timeout: Duration = .seconds(5)) -> TestCall {
        adding { $0.waits.append(PendingWait(expectation: expectation, timeout: timeout)) }
    }

    // MARK: Running

    /// Runs the call (once, however often it is awaited), checks everything, and returns the success value.
    /// - Throws: The call's ``ServiceError`` when it failed and no `expectError` asked for that.
    @discardableResult
    public func run(sourceLocation: SourceLocation = #_sourceLocation) async throws -> Output {
        try await once.run { await execute(sourceLocation: sourceLocation) }.get()
    }

    private func execute(sourceLocation: SourceLocation) async -> Result<Output, any Error> {
        let scope = fixedScope ?? TestScopeID.next()
        var installed: [any ActiveExpectation] = []
        var waiting: [(active: any ActiveExpectation, timeout: Duration)] = []
        do {
            for expectation in expectations { installed.append(try await expectation.activate(in: scope, harness: harness)) }
            for wait in waits { waiting.append((try await wait.expectation.activate(in: scope, harness: harness), wait.timeout)) }
        } catch {
            for active in installed + waiting.map(\.active) { active.deactivate() }
            Issue.record(error, "\(label): could not install an expectation", sourceLocation: sourceLocation)
            return .failure(error)
        }
        let reply = await perform(scope)
        var failures: [String] = []
        for active in installed {
            await active.waitUntilSatisfied(until: .now)  // values that are read, not pushed (metrics), read once
            active.deactivate()
            failures += active.failures()
        }
        let started = ContinuousClock.now
        for (active, timeout) in waiting {
            await active.waitUntilSatisfied(until: started + timeout)
            active.deactivate()
            let problems = active.failures()
            failures += active.isSatisfied ? problems : ["waitFor timed out after \(timeout): " + problems.joined(separator: "; ")]
        }
        failures += reply.failures + checks.flatMap { $0(reply) }
        for failure in failures {
            Issue.record(Comment(rawValue: "\(label): \(failure)"), sourceLocation: sourceLocation)
        }
        switch reply.result {
        case .success(let value): return .success(value)
        case .failure(let error): return .failure(error)
        }
    }
}

/// A `waitFor` expectation with its timeout.
struct PendingWait: Sendable {
    let expectation: any TestExpectation
    let timeout: Duration
}
