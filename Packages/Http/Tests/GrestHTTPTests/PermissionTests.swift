import GrestHTTP
import GrestSchema
import Testing

@Suite("Permission gate and strict mode", .timeLimit(.minutes(2)))
struct PermissionTests {
    func serve(calls: CallCounter? = nil, _ body: (Int) async throws -> Void) async throws {
        try await withServer(register: { server in
            server.register(SecureApi.http, permissionResolver: testResolver) { SecureApi.implement($0, calls: calls) }
        }) { _, port in try await body(port) }
    }

    @Test func gateOutcomes() async throws {
        let calls = CallCounter()
        try await serve(calls: calls) { port in
            let anonymous = try await get(port, "/secure/read")
            #expect(anonymous.status == 401)
            #expect(anonymous.type == "NOT_AUTHORIZED")
            let wrong = try await get(port, "/secure/read", headers: ["x-scopes: notes:write"])
            #expect(wrong.status == 403)
            #expect(wrong.type == "FORBIDDEN")
            let failing = try await get(port, "/secure/read", headers: ["x-scopes: !throw"])
            #expect(failing.status == 500)
            #expect(failing.type == "SERVER_ERROR")
            #expect(calls.count == 0, "the handler never runs on a failed gate")
            let extra = try await get(port, "/secure/read", headers: ["x-scopes: notes:read,notes:write,other"])
            #expect(extra.status == 200)
            #expect(calls.count == 1)
        }
    }

    @Test func gateRunsBeforeValidation() async throws {
        try await serve { port in
            let underScoped = try await send(port, "POST", "/secure/write", body: #"{"text":""}"#, headers: ["x-scopes: notes:read"])
            #expect(underScoped.type == "FORBIDDEN")
            let scoped = try await send(port, "POST", "/secure/write", body: #"{"text":""}"#, headers: ["x-scopes: notes:write"])
            #expect(scoped.type == "VALIDATION_ERROR")
            let garbage = try await send(port, "POST", "/secure/write", body: "not json", headers: ["x-scopes: notes:read"])
            #expect(garbage.type == "FORBIDDEN")
        }
    }

    @Test func checkerPicksBranchesInHandler() async throws {
        try await serve { port in
            let observed0 = try await get(port, "/secure/manage/7", headers: ["x-scopes: notes:admin"]).json["data"]?["text"]
            #expect(observed0 == "admin")
            let observed1 = try await get(port, "/secure/manage/7", headers: ["x-scopes: owner:7"]).json["data"]?["text"]
            #expect(observed1 == "owner")
            let observed2 = try await get(port, "/secure/manage/7", headers: ["x-scopes: owner:8"]).type
            #expect(observed2 == "FORBIDDEN")
            // `.any` needs a non-empty scope set.
            let observed3 = try await get(port, "/secure/manage/7", headers: ["x-scopes: "]).type
            #expect(observed3 == "FORBIDDEN")
        }
    }

    @Test func publicRoutesPassAndStillSeeTheChecker() async throws {
        try await serve { port in
            let observed4 = try await get(port, "/secure/open").json["data"]?["text"]
            #expect(observed4 == "open []")
            let observed5 = try await get(port, "/secure/open", headers: ["x-scopes: a,b"]).json["data"]?["text"]
            #expect(observed5 == #"open ["a", "b"]"#)
        }
    }

    @Test func gateDecisionTable() {
        func decide(_ permission: Permission?, _ resolution: PermissionGate.Resolution) -> String {
            switch PermissionGate.decide(permission: permission, resolution: resolution, name: "Api.m") {
            case .allow: "allow"
            case .reject(let error): error.type
            }
        }
        #expect(decide(nil, .noResolver) == "allow")
        #expect(decide(.public, .resolved(nil)) == "allow")
        #expect(decide("x", .noResolver) == "FORBIDDEN", "fail closed without a resolver")
        #expect(decide("x", .resolved(nil)) == "NOT_AUTHORIZED")
        #expect(decide("x", .resolved(["y"])) == "FORBIDDEN")
        #expect(decide("x", .resolved(["x", "y"])) == "allow")
        #expect(decide(.any, .resolved([])) == "FORBIDDEN")
        #expect(decide(.public, .failed(CancellationError())) == "SERVER_ERROR")
    }

    // MARK: Strict mode

    func startFailure(_ register: (HTTPServer) -> Void) async -> HTTPServerStartupError? {
        let server = HTTPServer()
        register(server)
        do {
            try await server.start()
            await server.shutdown()
            return nil
        } catch let error as HTTPServerStartupError {
            #expect(server.port == nil, "nothing listens after a refused start")
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func zeroConfigStarts() async throws {
        #expect(await startFailure { $0.register(PingApi.http, PingApi.implement) } == nil)
    }

    @Test func allPublicWithoutResolverStarts() async throws {
        let method = ContractMethod("open", success: IsNote, permission: .public)
        let schema = HTTPSchema(Contract("OpenApi", method), pathPrefix: "o").routes { $0.get(method, "/") }
        #expect(await startFailure { $0.register(schema) { $0.handle(method) { Note(text: "") } } } == nil)
    }

    @Test func nonPublicWithoutResolverRefusesToStart() async throws {
        let error = await startFailure { $0.register(SecureApi.http) { SecureApi.implement($0) } }
        let text = try #require(error).description
        #expect(text.contains("startup:check"))
        #expect(text.contains("SecureApi.read"))
        #expect(text.contains("SecureApi.write"))
        #expect(text.contains(#"requires "notes:read""#))
        #expect(text.contains("permissionResolver"))
    }

    @Test(arguments: [false, true])
    func strictModeIsInfectiousInEitherOrder(secureFirst: Bool) async throws {
        let error = await startFailure { server in
            if secureFirst { server.register(SecureApi.http, permissionResolver: testResolver) { SecureApi.implement($0) } }
            server.register(PingApi.http, PingApi.implement)
            if !secureFirst { server.register(SecureApi.http, permissionResolver: testResolver) { SecureApi.implement($0) } }
        }
        let text = try #require(error).description
        #expect(text.contains("strict mode"))
        #expect(text.contains("  PingApi.ping"))
        #expect(text.contains("permission: .public"))
        #expect(!text.contains("SecureApi."))
    }

    @Test func resolverAloneTripsStrictMode() async throws {
        let error = await startFailure { $0.register(PingApi.http, permissionResolver: testResolver, PingApi.implement) }
        #expect(try #require(error).permissionCoverage?.undeclared.map(\.qualifiedName) == ["PingApi.ping"])
    }

    @Test func webSocketSurfaceTripsStrictModeForHTTP() async throws {
        let error = await startFailure { server in
            server.register(PingApi.http, PingApi.implement)
            server.permissions.add(PermissionSurface(api: "ChatApi", method: "connect", kind: .webSocketConnect, permission: "chat", hasResolver: true))
        }
        #expect(try #require(error).permissionCoverage?.undeclared.map(\.qualifiedName) == ["PingApi.ping"])
    }

    @Test func missingHandlerRefusesToStart() async throws {
        let error = await startFailure { server in
            server.register(ItemsApi.http) { impl in impl.handle(ItemsApi.get) { _ in Item(id: "", name: "x", qty: 0) } }
        }
        let text = try #require(error).description
        #expect(text.contains("Handler missing for ItemsApi.create"))
        #expect(text.contains("Handler missing for ItemsApi.upload"))
        #expect(!text.contains("ItemsApi.get\n"))
    }

    @Test func routeMissingRefusesToStart() async throws {
        let schema = HTTPSchema(PingApi.contract, pathPrefix: "p")
        let error = await startFailure { $0.register(schema, PingApi.implement) }
        #expect(try #require(error).description.contains("Route missing for PingApi.ping"))
    }
}
