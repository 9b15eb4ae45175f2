import GrestContext
import GrestMiddleware
import GrestSchema
import NIOCore
import NIOHTTP1

/// A fully received request, handed from the channel handler to the async pipeline.
struct ReceivedRequest: Sendable {
    let head: HTTPRequestHead
    let path: Substring
    let query: Substring
    let parameters: [Substring]
    let body: ByteBuffer?
    let ref: String
    let localPort: Int
}

/// The async part of a request, in grest-ts order (with the later gate placement):
/// context → all `parse` → all `process` → all `clear` → permission gate → input (JSON + validation) →
/// handler → reply (response validated by the contract).
enum RequestPipeline {
    static func respond(to request: ReceivedRequest, endpoint: RouteEndpoint) async -> (ContractReply, HTTPHeaders) {
        await Context.withNew(name: "request", strict: true) {
            try? HTTPRequestInfo.key.set(HTTPRequestInfo(port: request.localPort, method: request.head.method.rawValue, path: String(request.path)))
            try? HTTPRequestInfo.ref.set(request.ref)
            var responseHeaders = HTTPHeaders()
            let reply = await run(request, endpoint)
            for middleware in endpoint.middleware { middleware.updateResponse(&responseHeaders) }
            return (reply, responseHeaders)
        }
    }

    private static func run(_ request: ReceivedRequest, _ endpoint: RouteEndpoint) async -> ContractReply {
        if !endpoint.middleware.isEmpty {
            let inbound = InboundRequest(
                transport: .http, method: request.head.method.rawValue, path: String(request.path), rawQuery: request.query,
                headers: request.head.headers)
            if let error = await runMiddleware(endpoint.middleware, inbound) { return ContractReply(error: error) }
        }
        // Gate before validation: an under-scoped caller learns nothing about the input rules.
        if case .reject(let error) = await PermissionGate.check(permission: endpoint.permission, resolver: endpoint.resolver, name: endpoint.qualifiedName) {
            return ContractReply(error: error)
        }
        let input: JSONValue?
        do {
            input = try readInput(request, endpoint)
        } catch {
            return ContractReply(error: error)
        }
        return await endpoint.handler(input)
    }

    /// All `parse`, then all `process`, then all `clear` (always); the first thrown error rejects the request.
    static func runMiddleware(_ middleware: [any TransportMiddleware], _ request: InboundRequest) async -> ServiceError? {
        await TransportMiddlewareChain.runServerSide(middleware, request)
    }

    /// GET/DELETE: path params merged with the query (the query wins). Body methods: the JSON body, with the
    /// path params merged into it when it is an object (the path wins); grest-ts drops them.
    static func readInput(_ request: ReceivedRequest, _ endpoint: RouteEndpoint) throws(ServiceError) -> JSONValue? {
        guard endpoint.hasInput else { return nil }
        var object = JSONObject(minimumCapacity: endpoint.parameterNames.count)
        for (name, raw) in zip(endpoint.parameterNames, request.parameters) {
            object.append(name, .string(PercentEncoding.decode(raw)))
        }
        if !endpoint.route.httpMethod.hasBody {
            QueryString.parse(request.query, into: &object)
            return .object(object)
        }
        guard let body = request.body, body.readableBytes > 0 else {
            return object.isEmpty ? nil : .object(object)
        }
        let value: JSONValue
        do {
            value = try body.withUnsafeReadableBytes { bytes throws(JSONParseError) in try JSONParser(maxDepth: 512).parse(bytes) }
        } catch {
            let issue = Issue(path: "", code: IssueKey.json.code, message: IssueKey.json.message(["reason": .string(error.description)]))
            throw VALIDATION_ERROR([issue], displayMessage: "Invalid arguments")
        }
        guard !object.isEmpty, case .object(var members) = value else { return value }
        for member in object { members[member.key] = member.value }
        return .object(members)
    }
}
