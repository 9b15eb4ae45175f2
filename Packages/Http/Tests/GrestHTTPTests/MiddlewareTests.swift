import GrestContext
import GrestHTTP
import GrestSchema
import NIOHTTP1
import Synchronization
import Testing

/// The seed README's "one class, two transports" bearer auth, in Swift: the same value goes on the HTTP
/// schema here and on WebSocket schemas (the WebSocket package calls the same hooks at handshake).
struct AuthUser: Sendable, Equatable {
    var id: String
    var role: String
}

let authUser = ContextKey<AuthUser>("authUser")
/// What the shipped middleware keeps the raw token under (keys are identified by name).
let bearerToken = ContextKey<String>("grest.bearerToken", isMutable: true)

/// The shipped "one type, two transports" bearer auth, with this file's user type.
func BearerAuth(
    requiresToken: Bool = false,
    getToken: @escaping @Sendable () -> String?,
    verify: @escaping @Sendable (String) async throws -> AuthUser?
) -> BearerAuthMiddleware<AuthUser> {
    BearerAuthMiddleware(userKey: authUser, requiresToken: requiresToken, getToken: getToken, verify: verify)
}

enum ProfileApi {
    static let me = ContractMethod(
        "me", success: IsObject(AuthUser.init, field("id", \.id, IsString), field("role", \.role, IsString)),
        errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .any)
    static let contract = Contract("ProfileApi", me)
}

/// Records hook order across two middleware.
final class HookLog: Sendable {
    let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

struct Recording: TransportMiddleware {
    var name: String
    var log: HookLog
    var failIn: String?
    func parse(_ request: InboundRequest) throws {
        log.add(name + ".parse")
        if failIn == "parse" { throw FORBIDDEN(displayMessage: "no") }
    }
    func process() async throws {
        log.add(name + ".process")
        if failIn == "process" { throw NOT_AUTHORIZED() }
    }
    func clear() { log.add(name + ".clear") }
    func updateResponse(_ headers: inout HTTPHeaders) { headers.add(name: "x-" + name, value: "1") }
}

@Suite("Middleware", .timeLimit(.minutes(2)))
struct MiddlewareTests {
    @Test func bearerAuthOneClassTwoTransports() async throws {
        let auth = BearerAuth(getToken: { "token-alice" }, verify: { $0 == "token-alice" ? AuthUser(id: "alice", role: "admin") : nil })
        let schema = HTTPSchema(ProfileApi.contract, pathPrefix: "profile").use(auth).routes { $0.get(ProfileApi.me, "/me") }
        let resolver: ScopeResolver = { authUser.get().map { ["role:" + $0.role] } }
        let tokensSeenByHandler = Collected<String?>()
        try await withServer(register: { server in
            server.register(schema, permissionResolver: resolver) { impl in
                impl.handle(ProfileApi.me) {
                    // Seen in the handler's task: collected here, asserted in the test.
                    tokensSeenByHandler.add(bearerToken.get())
                    return try authUser.assert()
                }
            }
        }) { _, port in
            let client = HTTPClient(schema, baseURL: "http://127.0.0.1:\(port)")
            let observed0 = try await client.call(ProfileApi.me)
            #expect(observed0 == AuthUser(id: "alice", role: "admin"))
            #expect(tokensSeenByHandler.all == [nil], "clear() wiped the credential before the handler")
            let anonymous = HTTPClient(
                HTTPSchema(ProfileApi.contract, pathPrefix: "profile").routes { $0.get(ProfileApi.me, "/me") },
                baseURL: "http://127.0.0.1:\(port)")
            #expect(await anonymous.result(ProfileApi.me).error?.type == "NOT_AUTHORIZED")
            let forged = HTTPClient(
                HTTPSchema(ProfileApi.contract, pathPrefix: "profile")
                    .use(BearerAuth(getToken: { "forged" }, verify: { _ in nil })).routes { $0.get(ProfileApi.me, "/me") },
                baseURL: "http://127.0.0.1:\(port)")
            let rejected = await forged.result(ProfileApi.me).error
            #expect(rejected?.type == "NOT_AUTHORIZED")
            #expect(rejected?.displayMessage == "Invalid token")
            await client.shutdown()
            await anonymous.shutdown()
            await forged.shutdown()
        }
    }

    @Test func bearerAuthRequiredTokenAndVerifierErrors() async throws {
        let strict = BearerAuth(requiresToken: true, getToken: { nil }, verify: { token in
            if token == "banned" { throw FORBIDDEN(displayMessage: "banned") }
            return AuthUser(id: token, role: "user")
        })
        let schema = HTTPSchema(ProfileApi.contract, pathPrefix: "profile").use(strict).routes { $0.get(ProfileApi.me, "/me") }
        try await withServer(register: { server in
            server.register(schema, permissionResolver: { authUser.get().map { ["role:" + $0.role] } }) { impl in
                impl.handle(ProfileApi.me) { try authUser.assert() }
            }
        }) { _, port in
            let missing = try await get(port, "/profile/me")
            #expect(missing.status == 401)
            #expect(missing.type == "NOT_AUTHORIZED")
            #expect(missing.body.contains("Missing bearer token"))
            let malformed = try await get(port, "/profile/me", headers: ["Authorization: Basic YWxpY2U6cHc="])
            #expect(malformed.type == "NOT_AUTHORIZED")
            let banned = try await get(port, "/profile/me", headers: ["Authorization: Bearer banned"])
            #expect(banned.type == "FORBIDDEN", "the verifier's own error is the answer")
            let carol = try await get(port, "/profile/me", headers: ["Authorization: bearer carol"])
            #expect(carol.status == 200)
            #expect(carol.body.contains("\"id\":\"carol\""))
        }
    }

    @Test func hooksRunAllParseThenAllProcessThenAllClear() async throws {
        let log = HookLog()
        let schema = HTTPSchema(PingApi.contract, pathPrefix: "ping")
            .use(Recording(name: "a", log: log), Recording(name: "b", log: log))
            .routes { $0.get(PingApi.ping, "/") }
        try await withServer(register: { $0.register(schema, PingApi.implement) }) { _, port in
            let response = try await get(port, "/ping/")
            #expect(response.status == 200)
            #expect(response.header("x-a") == "1")
            #expect(log.all == ["a.parse", "b.parse", "a.process", "b.process", "a.clear", "b.clear"])
        }
    }

    @Test(arguments: ["parse", "process"])
    func throwingHookRejectsTheRequest(stage: String) async throws {
        let log = HookLog()
        let schema = HTTPSchema(PingApi.contract, pathPrefix: "ping")
            .use(Recording(name: "a", log: log, failIn: stage), Recording(name: "b", log: log))
            .routes { $0.get(PingApi.ping, "/") }
        let calls = CallCounter()
        try await withServer(register: { server in
            server.register(schema) { impl in impl.handle(PingApi.ping) { calls.increment(); return Note(text: "") } }
        }) { _, port in
            let response = try await get(port, "/ping/")
            #expect(response.type == (stage == "parse" ? "FORBIDDEN" : "NOT_AUTHORIZED"))
            #expect(calls.count == 0)
            #expect(log.all.suffix(2) == ["a.clear", "b.clear"])
        }
    }
}

/// Values seen inside server handlers (other tasks), asserted afterwards in the test.
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func add(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
