public import GrestHTTP
import NIOHTTP1

/// Who a test calls as: client middleware that runs on every request and socket handshake, so context values
/// (an auth token, a tenant header) travel through the app's real middleware.
///
/// ```swift
/// let alice = TestContext(BearerAuthMiddleware(getToken: { "alice" }))
/// try await harness.callOn(ChatHTTPApi.schema, as: alice).call(ChatHTTPApi.me).expect(equals: "alice").run()
/// ```
public struct TestContext: Sendable {
    public var middleware: [any TransportMiddleware]

    public init(_ middleware: any TransportMiddleware...) {
        self.middleware = middleware
    }

    /// No credentials.
    public static var anonymous: TestContext { TestContext() }

    /// `Authorization: Bearer <token>` on every request.
    public static func bearer(_ token: String) -> TestContext {
        TestContext(HeaderMiddleware(headers: ["authorization": "Bearer \(token)"]))
    }

    /// Fixed headers on every request.
    public static func headers(_ headers: [String: String]) -> TestContext {
        TestContext(HeaderMiddleware(headers: headers))
    }
}

/// Adds fixed headers to outgoing requests.
struct HeaderMiddleware: TransportMiddleware {
    let headers: [String: String]

    func updateRequest(_ request: inout OutboundRequest) async throws {
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.replaceOrAdd(name: name, value: value) }
    }
}
