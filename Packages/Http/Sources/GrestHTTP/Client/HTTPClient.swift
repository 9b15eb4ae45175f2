import GrestMiddleware
public import GrestSchema
public import NIOCore
import NIOHTTP1
public import NIOPosix

/// A typed client for an ``HTTPSchema`` (grest-ts `createClient`): methods return the success type or
/// throw the error; ``result(_:_:)`` gives a ``CallResult`` instead. Every failure is a ``ServiceError``:
/// timeouts, transport failures, unreadable replies and error TYPEs the contract does not list all become
/// `SERVER_ERROR`.
///
/// ```swift
/// let client = HTTPClient(ItemsHTTP, baseURL: "http://127.0.0.1:8080")
/// let item = try await client.call(ItemsApi.get, ItemID(id: "42"))
/// switch await client.result(ItemsApi.create, draft) { … }
/// ```
public final class HTTPClient: Sendable {
    public let schema: HTTPSchema
    public let configuration: HTTPClientConfiguration
    let base: BaseURL?
    let baseURL: String
    let middleware: [any TransportMiddleware]
    let pool: ClientConnectionPool?
    let allocator = ByteBufferAllocator()
    /// Set by ``init(_:baseURLLookup:configuration:middleware:eventLoopGroup:)``: the base URL is asked for per call.
    let lookup: BaseURLLookup?

    /// - Parameters:
    ///   - baseURL: `http://host:port`, optionally with a path prefix.
    ///   - middleware: Client middleware run after the schema's own, on every request.
    public init(
        _ schema: HTTPSchema, baseURL: String, configuration: HTTPClientConfiguration = .init(), middleware: [any TransportMiddleware] = [],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.schema = schema
        self.configuration = configuration
        self.baseURL = baseURL
        self.base = BaseURL(baseURL)
        self.middleware = schema.middleware + middleware
        self.pool = base.map { ClientConnectionPool(group: eventLoopGroup, host: $0.host, port: $0.port, maxIdle: configuration.maxIdleConnections) }
        self.lookup = nil
    }

    /// A client whose base URL is looked up for every call (service discovery: GrestDiscovery's `discovery:`
    /// convenience passes its cached resolver here). Connections are pooled per resolved host and port.
    /// A lookup that throws fails the call with `SERVER_ERROR` "Service discovery failed" (grest-ts's message).
    /// - Parameter baseURLLookup: Returns `http://host:port`, optionally with a base path; the schema's prefix is appended.
    public init(
        _ schema: HTTPSchema, baseURLLookup: @escaping @Sendable () async throws -> String, configuration: HTTPClientConfiguration = .init(),
        middleware: [any TransportMiddleware] = [], eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.schema = schema
        self.configuration = configuration
        self.baseURL = ""
        self.base = nil
        self.pool = nil
        self.middleware = schema.middleware + middleware
        self.lookup = BaseURLLookup(resolve: baseURLLookup, group: eventLoopGroup, maxIdle: configuration.maxIdleConnections)
    }

    /// Calls `method` and returns its success data.
    /// - Throws: The ``ServiceError`` the server replied with, or `SERVER_ERROR`.
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input) async throws(ServiceError) -> Success {
        try await result(method, input).get()
    }

    /// Calls a method without input.
    public func call<Success>(_ method: ContractMethod<Void, Success>) async throws(ServiceError) -> Success {
        try await result(method, ()).get()
    }

    /// Calls a method without input, returning the outcome as a value.
    public func result<Success>(_ method: ContractMethod<Void, Success>) async -> CallResult<Success> {
        await result(method, ())
    }

    /// Calls `method`, returning the outcome as a value (grest-ts `.asResult()`).
    public func result<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input) async -> CallResult<Success> {
        let base: BaseURL
        let pool: ClientConnectionPool
        if let lookup {
            switch await lookup.target() {
            case .success(let target): (base, pool) = target
            case .failure(let error): return .failure(error)
            }
        } else {
            guard let fixedBase = self.base, let fixedPool = self.pool else {
                return .failure(SERVER_ERROR(debugMessage: ClientTransportError.invalidBaseURL(baseURL).description))
            }
            (base, pool) = (fixedBase, fixedPool)
        }
        guard let route = schema.route(for: method.name) else {
            return .failure(SERVER_ERROR(debugMessage: "\(schema.name).\(method.name) has no route in the HTTP schema"))
        }
        let target: String
        let body: [UInt8]?
        do {
            (target, body) = try encode(method, input, route: route, base: base)
        } catch {
            return .failure(error)
        }
        var outbound = OutboundRequest(transport: .http, method: route.httpMethod.rawValue, target: target)
        outbound.headers.add(name: "host", value: base.hostHeader)
        outbound.headers.add(name: "accept", value: "application/json")
        if let body {
            outbound.headers.add(name: "content-type", value: "application/json")
            outbound.headers.add(name: "content-length", value: String(body.count))
        } else if route.httpMethod.hasBody {
            outbound.headers.add(name: "content-length", value: "0")
        }
        do {
            for item in middleware { try await item.updateRequest(&outbound) }
        } catch {
            return .failure(ServiceError.fromUnknown(error))
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: outbound.method), uri: outbound.target, headers: outbound.headers)
        let response: ClientResponse
        do {
            response = try await pool.execute(
                head: head, body: body.map { allocator.buffer(bytes: $0) }, deadline: .now() + configuration.timeout)
        } catch ClientTransportError.timeout {
            return .failure(SERVER_ERROR(displayMessage: "Request timed out", debugMessage: "\(schema.name).\(method.name) timed out"))
        } catch {
            return .failure(
                SERVER_ERROR(debugMessage: "\(schema.name).\(method.name): transport failure", originalError: error))
        }
        return decode(method, response)
    }

    /// Closes idle pooled connections.
    public func shutdown() async {
        await pool?.closeAll()
        await lookup?.closeAll()
    }

    // MARK: Wire

    /// Path params into the path (`encodeURIComponent`, `null` → empty); for GET/DELETE the other non-null
    /// fields as query; for body methods the whole input as the JSON body.
    private func encode<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ input: Input, route: HTTPRoute, base: BaseURL
    ) throws(ServiceError) -> (String, [UInt8]?) {
        var fields = JSONObject()
        var bytes: [UInt8]?
        if method.hasInput {
            bytes = try method.encodeInput(input)
            if case .object(let object) = method.input.encode(input) { fields = object }
        }
        var target = base.path
        for segment in route.path.segments {
            switch segment {
            case .literal(let literal): target += "/" + literal
            case .parameter(let name): target += "/" + PercentEncoding.encode(QueryString.text(of: fields[name] ?? .null))
            }
        }
        if target.isEmpty { target = "/" }
        if route.httpMethod.hasBody { return (target, bytes) }
        let parameters = Set(route.path.parameterNames)
        var query = ""
        for member in fields where !parameters.contains(member.key) { QueryString.append(member.key, member.value, to: &query) }
        return (query.isEmpty ? target : target + "?" + query, nil)
    }

    private func decode<Input, Success>(_ method: ContractMethod<Input, Success>, _ response: ClientResponse) -> CallResult<Success> {
        let json: JSONValue
        do {
            json = try response.body.withUnsafeReadableBytes { bytes in try JSONParser().parse(bytes) }
        } catch {
            return .failure(
                SERVER_ERROR(
                    debugMessage: "Failed to parse JSON", debugData: ["status": .number(Double(response.head.status.code))], originalError: error))
        }
        guard case .object(let object) = json, object["success"]?.boolValue != nil, object["type"]?.stringValue != nil else {
            return .failure(SERVER_ERROR(debugMessage: "Invalid response format!", debugData: json))
        }
        return method.decodeReply(json)
    }
}
