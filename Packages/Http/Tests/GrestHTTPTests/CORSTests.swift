import GrestHTTP
import GrestSchema
import Testing

@Suite("CORS", .timeLimit(.minutes(2)))
struct CORSTests {
    let schema = SecureApi.http.use(
        BearerAuth(getToken: { nil }, verify: { _ in nil }), ExposesDisposition())

    struct ExposesDisposition: TransportMiddleware {
        var responseHeaders: [String] { ["Content-Disposition"] }
    }

    func serve(_ policy: CORSPolicy = .init(), _ body: (Int) async throws -> Void) async throws {
        try await withServer(configure: { $0.cors = policy }, register: { server in
            server.register(schema, permissionResolver: testResolver) { SecureApi.implement($0) }
        }) { _, port in try await body(port) }
    }

    @Test func noOriginNoHeaders() async throws {
        try await serve { port in
            let observed0 = try await get(port, "/secure/open").header("access-control-allow-origin")
            #expect(observed0 == nil)
        }
    }

    @Test func defaultAllowsAnyOrigin() async throws {
        try await serve { port in
            let response = try await get(port, "/secure/open", headers: ["Origin: https://app.example"])
            #expect(response.header("access-control-allow-origin") == "*")
            #expect(response.header("access-control-expose-headers")?.contains("Content-Disposition") == true)
        }
    }

    @Test func preflightIs204WithDeclaredHeaders() async throws {
        try await serve { port in
            let response = try await rawRequest(
                port, "OPTIONS /secure/write HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n")
            #expect(response.status == 204)
            #expect(response.header("access-control-allow-methods") == "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            let allowed = try #require(response.header("access-control-allow-headers"))
            #expect(allowed.contains("Content-Type"))
            #expect(allowed.contains("x-scopes"))
            #expect(allowed.contains("authorization"))
        }
    }

    @Test func allowListEchoesKnownOriginsWithCredentials() async throws {
        try await serve(CORSPolicy(origins: .list(["https://good.example", "null"]), allowsCredentials: true)) { port in
            let good = try await get(port, "/secure/open", headers: ["Origin: https://good.example"])
            #expect(good.header("access-control-allow-origin") == "https://good.example")
            #expect(good.header("access-control-allow-credentials") == "true")
            #expect(good.header("vary") == "Origin")
            let bad = try await get(port, "/secure/open", headers: ["Origin: https://evil.example"])
            #expect(bad.header("access-control-allow-origin") == nil)
            #expect(bad.header("vary") == "Origin")
            let null = try await get(port, "/secure/open", headers: ["Origin: null"])
            #expect(null.header("access-control-allow-origin") == nil, "\"null\" never matches")
        }
    }
}
