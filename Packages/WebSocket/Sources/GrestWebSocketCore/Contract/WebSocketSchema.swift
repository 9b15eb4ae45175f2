public import GrestMiddleware
public import GrestSchema

/// A socket API ready to serve or call: contract, path, middleware, typed query and connect permission
/// (grest-ts `GGWebSocketSchema`). Build it with ``webSocketSchema(_:)``.
public struct WebSocketSchema<Query: Sendable>: Sendable {
    public let contract: SocketContract
    /// The exact pathname served, with a leading `/`.
    public let path: String
    public let middlewares: [any TransportMiddleware]
    /// Checked at handshake before the handler runs; `nil` means none.
    public let connectPermission: Permission?
    let queryParser: @Sendable ([String: String]) throws(ServiceError) -> Query
    let queryEncoder: @Sendable (Query) -> [(String, String)]

    /// The contract name, used as the API label.
    public var name: String { contract.name }

    /// Validates the upgrade query with coercion (`"2"` → `2`); failure is `VALIDATION_ERROR`
    /// "Invalid query parameters", which a server answers with close 4000 and no `x` frame.
    public func parseQuery(_ query: [String: String]) throws(ServiceError) -> Query {
        try queryParser(query)
    }

    /// The query as URL parameters (strings as they are, numbers and booleans as JSON text), sorted by name.
    public func encodeQuery(_ query: Query) -> [(name: String, value: String)] {
        queryEncoder(query).map { (name: $0.0, value: $0.1) }
    }
}

/// Starts a schema for `contract` (grest-ts `webSocketSchema(contract)`).
///
/// ```swift
/// let ChatSocket = webSocketSchema(ChatApi.contract)
///     .path("ws/chat")
///     .use(AuthMiddleware())
///     .queryOnConnect(IsObject(RoomQuery.init, field("room", \.room, IsString)))
///     .connectPermission("chat:use")
///     .done()
/// ```
public func webSocketSchema(_ contract: SocketContract) -> WebSocketSchemaBuilder<Void> {
    WebSocketSchemaBuilder(
        contract: contract, path: nil, middlewares: [], connectPermission: nil, queryParser: { _ in () }, queryEncoder: { _ in [] })
}

/// The builder behind ``webSocketSchema(_:)``.
public struct WebSocketSchemaBuilder<Query: Sendable>: Sendable {
    let contract: SocketContract
    let path: String?
    let middlewares: [any TransportMiddleware]
    let connectPermission: Permission?
    let queryParser: @Sendable ([String: String]) throws(ServiceError) -> Query
    let queryEncoder: @Sendable (Query) -> [(String, String)]

    /// The endpoint path; a leading `/` is added when missing.
    public func path(_ path: String) -> Self {
        Self(
            contract: contract, path: path.hasPrefix("/") ? path : "/" + path, middlewares: middlewares,
            connectPermission: connectPermission, queryParser: queryParser, queryEncoder: queryEncoder)
    }

    /// Appends a middleware; they run in order.
    public func use(_ middleware: any TransportMiddleware) -> Self {
        Self(contract: contract, path: path, middlewares: middlewares + [middleware], connectPermission: connectPermission, queryParser: queryParser, queryEncoder: queryEncoder)
    }

    /// Declares the typed query checked on connect (grest-ts `queryOnConnect<Q>()`).
    public func queryOnConnect<Q: Sendable>(_ schema: some SchemaConvertible<Q>) -> WebSocketSchemaBuilder<Q> {
        let schema = schema.schema
        return WebSocketSchemaBuilder<Q>(
            contract: contract, path: path, middlewares: middlewares, connectPermission: connectPermission,
            queryParser: { query throws(ServiceError) in
                var object = JSONObject(minimumCapacity: query.count)
                for (key, value) in query.sorted(by: { $0.key < $1.key }) { object.append(key, .string(value)) }
                switch schema.safeParse(.object(object), coerce: true) {
                case .success(let query): return query
                case .failure(let issues): throw VALIDATION_ERROR(issues, displayMessage: "Invalid query parameters")
                }
            },
            queryEncoder: { query in
                guard case .object(let object) = schema.encode(query) else { return [] }
                var items: [(String, String)] = []
                for member in object {
                    switch member.value {
                    case .string(let text): items.append((member.key, text))
                    case .null: continue
                    default:
                        var writer = JSONWriter()
                        writer.write(member.value)
                        items.append((member.key, String(decoding: writer.bytes, as: UTF8.self)))
                    }
                }
                return items.sorted { $0.0 < $1.0 }
            })
    }

    /// The permission checked at handshake (no identity → NOT_AUTHORIZED, missing scope → FORBIDDEN, both as `x` + 4001).
    public func connectPermission(_ permission: Permission) -> Self {
        Self(contract: contract, path: path, middlewares: middlewares, connectPermission: permission, queryParser: queryParser, queryEncoder: queryEncoder)
    }

    /// Finishes the schema; an invalid path or permission stops the process (a definition bug).
    public func done() -> WebSocketSchema<Query> {
        do {
            return try validated()
        } catch {
            preconditionFailure(error.description)
        }
    }

    /// Finishes the schema, throwing when the path or permission is invalid.
    public func validated() throws(ContractDefinitionError) -> WebSocketSchema<Query> {
        guard let path, path.count > 1 else { throw ContractDefinitionError("WebSocket schema \(contract.name) needs a non-empty path") }
        guard !path.unicodeScalars.contains(where: { $0 == "?" || $0 == "#" || $0 == "*" || $0.properties.isWhitespace }) else {
            throw ContractDefinitionError("WebSocket schema \(contract.name) path '\(path)' may not contain whitespace, '?', '#' or '*'")
        }
        if let connectPermission {
            do {
                try connectPermission.validate(path: "\(contract.name).connectPermission")
            } catch {
                throw ContractDefinitionError(error.description)
            }
        }
        return WebSocketSchema(
            contract: contract, path: path, middlewares: middlewares, connectPermission: connectPermission, queryParser: queryParser, queryEncoder: queryEncoder)
    }
}
