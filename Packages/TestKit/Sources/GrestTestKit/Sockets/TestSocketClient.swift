public import GrestSchema
public import GrestWebSocketClient
import Synchronization
public import Testing

/// A socket client for tests (grest-ts `callOn(WsSchema)`): client-to-server calls are ``TestCall``s, server
/// pushes are recorded and expected with ``expectPush(_:matching:within:sourceLocation:)``, server requests
/// (`areYouThere`) are answered by ``mock(_:returning:)``. A push nobody expected or ignored fails the test when
/// the client closes (at the end of the harness, or ``close()``), with the frame shown.
///
/// ```swift
/// let bob = try await harness.connect(ChatSocket, as: .bearer("bob"))
/// bob.mock(ChatApi.areYouThere, returning: true)
/// try await alice.call(ChatApi.sendMessage, .init(text: "hi", channelId: "general")).run()
/// try await bob.expectPush(ChatApi.newMessage, matching: ["text": "hi"])
/// ```
public final class TestSocketClient<Query: Sendable>: Sendable {
    struct Push: Sendable {
        let route: String
        let isRequest: Bool
        let data: JSONValue?
        var isConsumed: Bool

        var frame: String { "\(isRequest ? "r" : "m"):\(route):\(data.map(JSONSubset.render) ?? "")" }
    }

    struct State: Sendable {
        var pushes: [Push] = []
        var answers: [String: ErasedSocketHandler] = [:]
        var ignored: Set<String> = []
        var isClosed = false
    }

    /// The underlying typed client.
    public let client: SocketClient<Query>
    let contract: SocketContract
    let harness: GrestHarness?
    let sourceLocation: SourceLocation
    /// The test scope of this connection (sent at the handshake): mocks installed by its calls apply to what the
    /// app does while handling them.
    let scope: TestScopeID
    let state = Mutex(State())
    let signal = Signal()

    init(client: SocketClient<Query>, contract: SocketContract, scope: TestScopeID, harness: GrestHarness?, sourceLocation: SourceLocation) throws {
        self.client = client
        self.scope = scope
        self.contract = contract
        self.harness = harness
        self.sourceLocation = sourceLocation
        for method in contract.serverToClient {
            let route = method.route
            let isRequest = method.descriptor.hasSuccess
            try client.incoming.on(route: route) { [self] data in await receive(route: route, isRequest: isRequest, data: data) }
        }
    }

    private func receive(route: String, isRequest: Bool, data: JSONValue?) async -> ContractReply {
        let answer: ErasedSocketHandler? = state.withLock { state in
            let answer = state.answers[route]
            let consumed = answer != nil || state.ignored.contains(route)
            state.pushes.append(Push(route: route, isRequest: isRequest, data: data, isConsumed: consumed))
            return answer
        }
        signal.notify()
        if let answer { return await answer(data) }
        return isRequest ? ContractReply(error: SERVER_ERROR(debugMessage: "\(route) is not mocked in this test")) : .emptySuccess
    }

    // MARK: Calls

    /// Calls a client-to-server `method` (input sent without client-side validation).
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input) -> TestCall<Success> {
        send(method, raw: method.hasInput ? method.input.encode(input) : nil)
    }

    /// Calls a client-to-server method without input.
    public func call<Success>(_ method: ContractMethod<Void, Success>) -> TestCall<Success> {
        send(method, raw: nil)
    }

    /// Calls `method` with raw JSON input, to test the server's validation.
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, raw input: JSONValue) -> TestCall<Success> {
        send(method, raw: input)
    }

    private func send<Input, Success>(_ method: ContractMethod<Input, Success>, raw input: JSONValue?) -> TestCall<Success> {
        let route = contract.route(of: method)
        let outgoing = client.outgoing
        var call = TestCall<Success>(label: route, harness: harness) { _ in
            do throws(ServiceError) {
                let frame = try await outgoing.send(route: route, data: input, expectResponse: method.hasSuccess)
                guard let frame else {
                    let ok: JSONValue = ["success": true, "type": "OK"]
                    return TestReply(result: method.decodeReply(ok), envelope: ok)
                }
                let envelope = frame.data().value ?? .null
                return TestReply(result: method.decodeReply(envelope), envelope: envelope)
            } catch {
                return TestReply(result: .failure(error), envelope: error.json)
            }
        }
        call.fixedScope = scope
        return call
    }

    // MARK: Server pushes and requests

    /// Waits up to `within` for a push of `method` whose DATA contains `subset`, and returns its input. A push
    /// that already arrived counts; each push satisfies one expectation.
    @discardableResult
    public func expectPush<Input, Success>(
        _ method: ContractMethod<Input, Success>, matching subset: JSONValue? = nil, within timeout: Duration = .seconds(5),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Input? {
        let route = contract.route(of: method)
        let found = Mutex<JSONValue??>(nil)
        await signal.wait(until: .now + timeout) {
            if found.withLock({ $0 }) != nil { return true }
            guard let data = self.consume(route: route, matching: subset) else { return false }
            found.withLock { $0 = .some(data) }
            return true
        }
        guard let data = found.withLock({ $0 }) else {
            let wanted = route + (subset.map { " matching \(JSONSubset.render($0))" } ?? "")
            Issue.record(
                Comment(rawValue: "expected a push of \(wanted) within \(timeout); received: \(receivedSummary)"),
                sourceLocation: sourceLocation)
            return nil
        }
        return try? method.parseInput(data)
    }

    /// A push of `method` (DATA containing `subset`) as an expectation for ``TestCall/with(_:)`` or
    /// ``TestCall/waitFor(_:timeout:)``.
    public func push<Input, Success>(_ method: ContractMethod<Input, Success>, matching subset: JSONValue? = nil) -> some TestExpectation {
        PushExpectation(route: contract.route(of: method), subset: subset) { [self] route, subset in consume(route: route, matching: subset) }
            .withSignal(signal)
    }

    /// Answers the server's requests of `method` (such as `areYouThere`) with `value` from now on.
    public func mock<Input, Success>(_ method: ContractMethod<Input, Success>, returning value: Success) {
        mock(method) { _ in value }
    }

    /// Answers the server's requests of `method` with what `answer` returns for each.
    public func mock<Input, Success>(_ method: ContractMethod<Input, Success>, _ answer: @escaping @Sendable (Input) async throws -> Success) {
        let route = contract.route(of: method)
        state.withLock { $0.answers[route] = { data in await method.execute(input: data, coerce: true, answer) } }
    }

    /// Pushes of `method` are expected in any number and never fail the test.
    public func ignore<Input, Success>(_ method: ContractMethod<Input, Success>) {
        let route = contract.route(of: method)
        state.withLock { state in
            state.ignored.insert(route)
            for index in state.pushes.indices where state.pushes[index].route == route { state.pushes[index].isConsumed = true }
        }
    }

    /// How many requests of `method` the server sent (answered or not).
    public func received<Input, Success>(_ method: ContractMethod<Input, Success>) -> Int {
        let route = contract.route(of: method)
        return state.withLock { $0.pushes.count { $0.route == route } }
    }

    /// Closes the socket; every push nobody expected is recorded as a test issue with its frame.
    public func close() async {
        let isFirst = state.withLock { state in
            defer { state.isClosed = true }
            return !state.isClosed
        }
        guard isFirst else { return }
        await client.close()
        let unexpected = state.withLock { $0.pushes.filter { !$0.isConsumed } }
        for push in unexpected {
            Issue.record(Comment(rawValue: "unexpected socket message received: \(push.frame)"), sourceLocation: sourceLocation)
        }
    }

    func consume(route: String, matching subset: JSONValue?) -> JSONValue?? {
        state.withLock { state in
            guard
                let index = state.pushes.firstIndex(where: { push in
                    !push.isConsumed && push.route == route
                        && (subset.map { JSONSubset.mismatch(expected: $0, actual: push.data ?? .null) == nil } ?? true)
                })
            else { return nil }
            state.pushes[index].isConsumed = true
            return .some(state.pushes[index].data)
        }
    }

    private var receivedSummary: String {
        let frames = state.withLock { $0.pushes.map(\.frame) }
        return frames.isEmpty ? "nothing" : frames.joined(separator: ", ")
    }
}

/// Waits for one push (see ``TestSocketClient/push(_:matching:)``).
struct PushExpectation: TestExpectation {
    let route: String
    let subset: JSONValue?
    let consume: @Sendable (String, JSONValue?) -> JSONValue??
    var signal: Signal?

    func withSignal(_ signal: Signal) -> PushExpectation {
        var copy = self
        copy.signal = signal
        return copy
    }

    func activate(in scope: TestScopeID, harness: GrestHarness?) async throws -> any ActiveExpectation {
        ActivePush(expectation: self)
    }
}

final class ActivePush: ActiveExpectation {
    let expectation: PushExpectation
    private let found = Mutex(false)

    init(expectation: PushExpectation) { self.expectation = expectation }

    var isSatisfied: Bool {
        found.withLock { found in
            if !found, expectation.consume(expectation.route, expectation.subset) != nil { found = true }
            return found
        }
    }

    func waitUntilSatisfied(until deadline: ContinuousClock.Instant) async {
        guard let signal = expectation.signal else { return }
        await signal.wait(until: deadline) { self.isSatisfied }
    }

    func failures() -> [String] {
        isSatisfied ? [] : ["expected a push of \(expectation.route)\(expectation.subset.map { " matching \(JSONSubset.render($0))" } ?? "")"]
    }
}
