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
    ///
    /// Inlinable: the erased handler is built in the caller's module, where `Input` and `Success` are known, so
    /// parsing, the call and encoding the reply run specialised, with no generic metadata looked up per request.
    @inlinable
    public func handle<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ handler: @escaping @Sendable (Input) async throws -> Success
    ) {
        store(method.name, method.erasedHandler(handler))
    }

    /// Implements a method without input by a closure that builds the whole reply (``ContractReply/raw(_:)`` for a
    /// body that is not the JSON envelope, such as a metrics scrape). The gate and middleware still run first.
    public func handleReply<Success>(_ method: ContractMethod<Void, Success>, _ handler: @escaping @Sendable () async -> ContractReply) {
        store(method.name) { _ in await handler() }
    }

    @usableFromInline
    func store(_ name: String, _ handler: @escaping @Sendable (JSONValue?) async -> ContractReply) {
        if handlers[name] != nil { duplicates.append(name) }
        handlers[name] = handler
    }

    /// Implements a method without input.
    @inlinable
    public func handle<Success>(_ method: ContractMethod<Void, Success>, _ handler: @escaping @Sendable () async throws -> Success) {
        handle(method) { (_: Void) in try await handler() }
    }
}
