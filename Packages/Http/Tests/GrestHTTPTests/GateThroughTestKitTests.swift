// The permission gate and validation order, tested through GrestTestKit (root graph only: Packages/Http cannot
// depend on TestKit, which depends on it).
#if canImport(GrestTestKit)
    import GrestContext
    import GrestHTTP
    import GrestSchema
    import GrestTestKit
    import ServiceLifecycle
    import Testing

    private struct GateNote: Sendable, Equatable {
        var text: String
    }

    private let gateScopesKey = ContextKey<Set<String>>("scopes", description: "The caller's scopes, from x-scopes")

    /// Reads `x-scopes: a,b` into the context.
    private struct GateScopesHeader: TransportMiddleware {
        var requestHeaders: [String] { ["x-scopes"] }

        func parse(_ request: InboundRequest) throws {
            if let header = request.header("x-scopes") { try gateScopesKey.set(Set(header.split(separator: ",").map(String.init))) }
        }
    }

    private enum GateNotesApi {
        static let add = ContractMethod(
            "add", input: IsObject(GateNote.init, field("text", \.text, IsString.nonEmpty.maxLength(5))), success: IsUint,
            errors: [VALIDATION_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("notes:write"))
        static let schema = HTTPSchema(Contract("GateNotesApi", add), pathPrefix: "notes").use(GateScopesHeader()).routes { $0.post(add, "/") }
    }

    private let gateNotesApp = GrestAppDefinition(name: "notes") { environment in
        let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), logger: environment.logger)
        server.register(GateNotesApi.schema, permissionResolver: { gateScopesKey.get() }) { api in
            api.handle(GateNotesApi.add) { note in note.text.count }
        }
        return [server]
    }

    @Suite(.timeLimit(.minutes(1)), .grest([gateNotesApp]))
    struct GateThroughTestKitTests {
        @Test func scopedCallerPasses() async throws {
            let notes = try GrestHarness.required().callOn(GateNotesApi.schema, as: .headers(["x-scopes": "notes:write"]))
            try await notes.call(GateNotesApi.add, GateNote(text: "hi")).expect(equals: 2).run()
        }

        @Test func theGateRunsBeforeValidation() async throws {
            let harness = try GrestHarness.required()
            let tooLong: JSONValue = ["text": "far too long"]
            try await harness.callOn(GateNotesApi.schema).call(GateNotesApi.add, raw: tooLong).expectError(NOT_AUTHORIZED).run()
            try await harness.callOn(GateNotesApi.schema, as: .headers(["x-scopes": "notes:read"])).call(GateNotesApi.add, raw: tooLong)
                .expectError(FORBIDDEN).run()
            try await harness.callOn(GateNotesApi.schema, as: .headers(["x-scopes": "notes:write"])).call(GateNotesApi.add, raw: tooLong)
                .expectValidation(["text": "invalid.string.maxLength"]).run()
        }
    }
#endif
