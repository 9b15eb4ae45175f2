public import GrestSchema

/// The handlers of one registered ``HTTPSchema``: typed `(Input) async throws -> Success` closures, one per
/// contract method.
///
/// ```swift
/// server.register(ItemsHTTP, permissionResolver: scopes) { impl in
///     impl.handle(ItemsApi.get) { id in try await store.item(id) }
///     impl.handle(ItemsApi.create) { draft in try await store.insert(draft) }
/// }
/// ```
public final class HTTPImplementation {
    typealias Handler = @Sendable (JSONValue?) async -> ContractReply
    var handlers: [String: Handler] = [:]
    var duplicates: [String] = []

    init() {}

    /// Implements `method`. Input arrives parsed and validated; a thrown ``ServiceError`` whose TYPE the
    /// method lists goes on the wire, anything else becomes `SERVER_ERROR`.
    public func handle<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ handler: @escaping @Sendable (Input) async throws -> Success
    ) {
        if handlers[method.name] != nil { duplicates.append(method.name) }
        handlers[method.name] = { raw in await method.execute(input: raw, coerce: true, handler) }
    }

    /// Implements a method without input by a closure that builds the whole reply (``ContractReply/raw(_:)`` for a
    /// body that is not the JSON envelope, such as a metrics scrape). The gate and middleware still run first.
    public func handleReply<Success>(_ method: ContractMethod<Void, Success>, _ handler: @escaping @Sendable () async -> ContractReply) {
        if handlers[method.name] != nil { duplicates.append(method.name) }
        handlers[method.name] = { _ in await handler() }
    }

    /// Implements a method without input.
    public func handle<Success>(_ method: ContractMethod<Void, Success>, _ handler: @escaping @Sendable () async throws -> Success) {
        handle(method) { (_: Void) in try await handler() }
    }
}
