import GrestContext
public import GrestHTTP
import NIOHTTP1

/// The test scope a request belongs to: set by the test client, read by stand-ins to pick that test's mocks.
public struct TestScopeID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A fresh, process-unique scope.
    static func next() -> TestScopeID {
        TestScopeID(rawValue: "t\(scopeCounter.next())-\(UInt32.random(in: 0...UInt32.max))")
    }

    public var description: String { rawValue }
}

/// Carries the test scope across services: `parse` reads `x-grest-test-scope` into the context (and keeps the
/// caller's headers for stand-ins that forward), `updateRequest` writes it onto every call made inside that
/// context. Put it on both the servers and the clients of an app (``GrestEnvironment/middleware``).
public struct TestScopeMiddleware: TransportMiddleware {
    /// The header name on the wire.
    public static let header = "x-grest-test-scope"
    static let scopeKey = ContextKey<TestScopeID>("grestTestScope", description: "The test case a request belongs to")
    static let headersKey = ContextKey<HTTPHeaders>("grestTestForwardedHeaders", description: "The request's headers, for forwarding")

    public init() {}

    public var requestHeaders: [String] { [Self.header] }

    public func updateRequest(_ request: inout OutboundRequest) async throws {
        if let scope = Self.scopeKey.get() { request.headers.replaceOrAdd(name: Self.header, value: scope.rawValue) }
    }

    public func parse(_ request: InboundRequest) throws {
        if let value = request.header(Self.header) { try Self.scopeKey.set(TestScopeID(rawValue: value)) }
        try Self.headersKey.set(request.headers)
    }
}

/// Adds the test scope header to requests a test client sends.
struct ScopeHeaderMiddleware: TransportMiddleware {
    let scope: TestScopeID

    func updateRequest(_ request: inout OutboundRequest) async throws {
        request.headers.replaceOrAdd(name: TestScopeMiddleware.header, value: scope.rawValue)
    }
}
