@_spi(GrestTestKit) import GrestHTTP
import GrestSchema
import Logging
import NIOHTTP1
import GrestContext
import Synchronization

extension GrestHarness {
    /// A server on port 0 that answers for `schemas` on behalf of the app at `realURL`: per call, the caller's
    /// test scope picks a mock or spy of that method, if any; everything else is forwarded to the real app with
    /// the caller's path, query, body and headers. Mocking one method leaves the others real.
    func makeStandIn(for schemas: [HTTPSchema], realURL: String, logger: Logger) async throws -> (server: HTTPServer, port: Int) {
        let standIn = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), logger: logger)
        let interceptors = self.interceptors
        for schema in schemas {
            let real = HTTPClient(schema, baseURL: realURL)
            state.withLock { $0.closers.append { await real.shutdown() } }
            // The stand-in does not gate (the real app does, after forwarding): every scope the schema names, and
            // one more for `.any`, satisfies any permission of it (the algebra has no negation). A schema without
            // permissions gets no resolver: one would turn strict mode on.
            let hasPermissions = schema.routes.contains { $0.descriptor.permission != nil }
            let scopes = Set(schema.routes.compactMap(\.descriptor.permission).flatMap(Self.scopes(in:))).union(["grest-testkit:stand-in"])
            let resolver: ScopeResolver? = hasPermissions ? { @Sendable in scopes } : nil
            standIn.register(schema, permissionResolver: resolver, middleware: [TestScopeMiddleware()]) { implementation in
                for route in schema.routes {
                    let method = route.methodName
                    implementation.handle(methodNamed: method) { input in
                        let headers = TestScopeMiddleware.headersKey.get() ?? [:]
                        let forward: @Sendable (JSONValue?) async -> ContractReply = { input in
                            await Self.forward(input, to: real, method: method, headers: headers)
                        }
                        if let scope = TestScopeMiddleware.scopeKey.get(),
                            let interceptor = interceptors.interceptor(scope: scope, api: schema.name, method: method)
                        {
                            return await interceptor.handle(input, forward: forward)
                        }
                        return await forward(input)
                    }
                }
            }
        }
        do {
            try await standIn.start()
        } catch {
            await standIn.shutdown()
            throw error
        }
        guard let port = standIn.port else {
            throw TestKitError.appFailedToStart("stand-in for \(realURL)", GrestEnvironmentError.unknownService(realURL))
        }
        return (standIn, port)
    }

    private static func scopes(in permission: Permission) -> [String] {
        switch permission {
        case .public, .any: []
        case .scope(let scope): [scope]
        case .allOf(let children), .anyOf(let children): children.flatMap(scopes(in:))
        }
    }

    private static func forward(_ input: JSONValue?, to real: HTTPClient, method: String, headers: HTTPHeaders) async -> ContractReply {
        switch await real.send(methodNamed: method, rawInput: input, headers: headers) {
        case .failure(let error):
            return ContractReply(error: error)
        case .success(let reply):
            guard case .object(let envelope)? = reply.body else {
                return ContractReply(
                    error: SERVER_ERROR(debugMessage: "\(real.schema.name).\(method) answered HTTP \(reply.statusCode) without JSON"))
            }
            if envelope["success"] == .bool(true) { return ContractReply(success: envelope["data"]) }
            if let body = reply.body, let error = ServiceError(json: body) { return ContractReply(error: error) }
            return ContractReply(error: SERVER_ERROR(debugMessage: "\(real.schema.name).\(method) answered an unreadable envelope"))
        }
    }
}
