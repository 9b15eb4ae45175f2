public import GrestHTTP
public import GrestSchema

/// A namespace of contract methods with its HTTP schema (`enum ChatHTTPApi { static let me = …; static let schema = … }`),
/// so tests call its methods by name: `harness.callOn(ChatHTTPApi.self).me()`.
public protocol HTTPApiNamespace {
    static var schema: HTTPSchema { get }
}

/// Calls an API's methods by name, each a ``TestCall`` (grest-ts `callOn(Api).method(input)`).
///
/// ```swift
/// try await harness.callOn(GreeterApi.self).greet(UserID(id: "u1")).expect(equals: Greeting(text: "Hello, Ada!")).run()
/// ```
@dynamicMemberLookup
public struct TypedTestHTTPClient<Api: HTTPApiNamespace>: Sendable {
    /// The untyped client underneath.
    public let client: TestHTTPClient

    public subscript<Input, Success>(dynamicMember method: KeyPath<Api.Type, ContractMethod<Input, Success>>) -> TestMethodCall<Input, Success> {
        TestMethodCall(client: client, method: Api.self[keyPath: method])
    }
}

/// One method of ``TypedTestHTTPClient``, called like a function.
public struct TestMethodCall<Input: Sendable, Success: Sendable>: Sendable {
    let client: TestHTTPClient
    let method: ContractMethod<Input, Success>

    public func callAsFunction(_ input: Input) -> TestCall<Success> {
        client.call(method, input)
    }

    /// Raw JSON input, to test the server's validation.
    public func callAsFunction(raw input: JSONValue) -> TestCall<Success> {
        client.call(method, raw: input)
    }
}

extension TestMethodCall where Input == Void {
    public func callAsFunction() -> TestCall<Success> {
        client.call(method)
    }
}

extension GrestHarness {
    /// A client of `Api`'s schema on the app serving it, calling its methods by name, as `context`.
    public func callOn<Api: HTTPApiNamespace>(_ api: Api.Type, as context: TestContext = .anonymous) throws -> TypedTestHTTPClient<Api> {
        TypedTestHTTPClient(client: try callOn(Api.schema, as: context))
    }
}
