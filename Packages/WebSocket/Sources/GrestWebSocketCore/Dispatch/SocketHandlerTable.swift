public import GrestSchema

/// A handler with its types erased: raw DATA in, exactly one encoded reply out (never throws).
public typealias ErasedSocketHandler = @Sendable (JSONValue?) async -> ContractReply

/// The handlers registered for the methods one side receives (grest-ts `incoming.on({...})`).
///
/// Registering a subset is fine: a declared method without a handler answers SERVER_ERROR, as in grest-ts.
///
/// ```swift
/// var table = SocketHandlerTable(contract: ChatApi.contract, receiving: .clientToServer)
/// try table.on(ChatApi.sendMessage) { request in SendMessageResponse(success: true, messageId: "m1") }
/// ```
package struct SocketHandlerTable: Sendable {
    public let contract: SocketContract
    /// The direction of the methods this side receives (`.clientToServer` on a server).
    public let direction: SocketDirection
    private(set) var handlers: [String: ErasedSocketHandler] = [:]

    public init(contract: SocketContract, receiving direction: SocketDirection) {
        self.contract = contract
        self.direction = direction
    }

    /// Registers the typed handler for `method`; input is validated with coercion, replies go through
    /// ``GrestSchema/ContractMethod/execute(input:coerce:_:)`` (undeclared errors → SERVER_ERROR "Invalid response").
    public mutating func on<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ handler: @escaping @Sendable (Input) async throws -> Success
    ) throws(SocketRegistrationError) {
        try on(methodNamed: method.name, method.erasedHandler(handler))
    }

    /// Registers `handler`, a typed handler already erased, for the method named `name` in this table's direction.
    package mutating func on(methodNamed name: String, _ handler: @escaping ErasedSocketHandler) throws(SocketRegistrationError) {
        guard let method = contract.method(named: name, direction) else {
            throw SocketRegistrationError(
                "\(contract.name).\(name) is not a \(direction == .clientToServer ? "clientToServer" : "serverToClient") method of \(contract.name)")
        }
        try register(route: method.route, handler)
    }

    /// Registers an erased handler for `route`, one of the contract's routes in this table's direction (proxies
    /// and debugging; a handler for any other route could never be reached).
    public mutating func register(route: String, _ handler: @escaping ErasedSocketHandler) throws(SocketRegistrationError) {
        guard contract.methods(direction).contains(where: { $0.route == route }) else {
            throw SocketRegistrationError("\(route) is not a route this side of \(contract.name) receives")
        }
        guard handlers[route] == nil else { throw SocketRegistrationError("Handler for \(route) is already registered") }
        handlers[route] = handler
    }

    /// Registers every handler of `other` (a pooled client joining a shared socket); throws on the first clash.
    package mutating func add(_ other: SocketHandlerTable) throws(SocketRegistrationError) {
        for (route, handler) in other.handlers.sorted(by: { $0.key < $1.key }) { try register(route: route, handler) }
    }

    /// Removes the handlers for `routes` (a pooled handle detaching).
    public mutating func remove(routes: some Sequence<String>) {
        for route in routes { handlers[route] = nil }
    }

    /// The routes with a handler.
    public var registeredRoutes: Set<String> { Set(handlers.keys) }

    func handler(for route: String) -> ErasedSocketHandler? { handlers[route] }
}

/// A handler could not be registered.
public struct SocketRegistrationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
