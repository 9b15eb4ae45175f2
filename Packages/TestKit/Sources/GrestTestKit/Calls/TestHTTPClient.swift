@_spi(GrestTestKit) import GrestHTTP
public import GrestSchema
import NIOHTTP1

/// Calls an HTTP schema of the app under test, each call a ``TestCall`` (grest-ts `callOn(HttpSchema)`).
/// Inputs are sent without client-side validation, so the server's validation is what gets tested.
public struct TestHTTPClient: Sendable {
    let harness: GrestHarness?
    let client: HTTPClient

    init(harness: GrestHarness?, client: HTTPClient) {
        self.harness = harness
        self.client = client
    }

    /// Calls `method` with `input`.
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input) -> TestCall<Success> {
        send(method, raw: method.hasInput ? method.input.encode(input) : nil)
    }

    /// Calls a method without input.
    public func call<Success>(_ method: ContractMethod<Void, Success>) -> TestCall<Success> {
        send(method, raw: nil)
    }

    /// Calls `method` with raw JSON input, for input the Swift types cannot express (a wrong type, a missing
    /// field) to test the server's validation.
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, raw input: JSONValue) -> TestCall<Success> {
        send(method, raw: input)
    }

    private func send<Input, Success>(_ method: ContractMethod<Input, Success>, raw input: JSONValue?) -> TestCall<Success> {
        let client = self.client
        return TestCall(label: "\(client.schema.name).\(method.name)", harness: harness) { scope in
            let headers: HTTPHeaders = [TestScopeMiddleware.header: scope.rawValue]
            switch await client.send(methodNamed: method.name, rawInput: input, headers: headers) {
            case .failure(let error):
                return TestReply(result: .failure(error), envelope: nil)
            case .success(let reply):
                guard let body = reply.body else {
                    return TestReply(
                        result: .failure(SERVER_ERROR(debugMessage: "HTTP \(reply.statusCode) with a body that is not JSON")), envelope: nil)
                }
                return TestReply(result: method.decodeReply(body), envelope: body)
            }
        }
    }
}
