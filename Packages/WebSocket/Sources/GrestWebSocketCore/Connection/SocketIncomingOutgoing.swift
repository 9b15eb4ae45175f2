public import GrestSchema
public import GrestWebSocketTransport

/// Registers the handlers for the methods this side receives (grest-ts `WebSocketIncoming.on`).
///
/// ```swift
/// try incoming.on(ChatApi.sendMessage) { request in
///     SendMessageResponse(success: true, messageId: try await store.save(request))
/// }
/// try incoming.on(ChatApi.ping) { }
/// ```
///
/// Registering a subset is fine; a declared method without a handler answers SERVER_ERROR. A second handler
/// for one method throws "already registered". Input is validated (with coercion) before the handler runs,
/// and a reply the contract does not allow becomes SERVER_ERROR "Invalid response".
public struct SocketIncoming: Sendable {
    /// Applies one registration to every handler table behind this side (the live socket's, a client's own), all or
    /// nothing.
    package let update: @Sendable ((inout SocketHandlerTable) throws(SocketRegistrationError) -> Void) throws(SocketRegistrationError) -> Void

    package init(update: @escaping @Sendable ((inout SocketHandlerTable) throws(SocketRegistrationError) -> Void) throws(SocketRegistrationError) -> Void) {
        self.update = update
    }

    /// Registers the typed handler for `method` (see ``SocketHandlerTable/on(_:_:)``).
    ///
    /// Inlinable: the erased handler is built in the caller's module, where `Input` and `Success` are known, so
    /// parsing, the call and encoding the reply run specialised, with no generic metadata looked up per message.
    @inlinable
    public func on<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ handler: @escaping @Sendable (Input) async throws -> Success
    ) throws(SocketRegistrationError) {
        try register(methodNamed: method.name, method.erasedHandler(handler))
    }

    /// Registers a typed handler, erased by the caller, for the method named `name`.
    @usableFromInline
    package func register(methodNamed name: String, _ handler: @escaping ErasedSocketHandler) throws(SocketRegistrationError) {
        try update { table throws(SocketRegistrationError) in try table.on(methodNamed: name, handler) }
    }

    /// Registers the typed handler for a `method` without input.
    @inlinable
    public func on<Success>(_ method: ContractMethod<Void, Success>, _ handler: @escaping @Sendable () async throws -> Success)
        throws(SocketRegistrationError)
    {
        try on(method) { (_: Void) in try await handler() }
    }

    /// Registers an untyped handler for `route`, one of the contract's routes this side receives: raw DATA in
    /// (`nil` when absent or not JSON), the reply body out (proxies, debugging; grest-ts `registerHandler`).
    public func on(route: String, _ handler: @escaping ErasedSocketHandler) throws(SocketRegistrationError) {
        try update { table throws(SocketRegistrationError) in try table.register(route: route, handler) }
    }
}

/// Calls the methods this side sends, typed by the contract (grest-ts `WebSocketOutgoing`).
///
/// A method with `success` sends `r` and waits for the `s` (default 30 s); one without sends `m` and returns
/// once the socket has taken it. `call` throws the typed error; `result` returns a ``CallResult``.
///
/// ```swift
/// let reply = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "hi", channelId: "general"))
/// try await outgoing.call(ChatApi.newMessage, message)           // server push
/// ```
public struct SocketOutgoing: Sendable {
    let peer: @Sendable () throws(ServiceError) -> SocketPeer
    let contract: SocketContract
    let direction: SocketDirection

    package init(peer: @escaping @Sendable () throws(ServiceError) -> SocketPeer, contract: SocketContract, direction: SocketDirection) {
        self.peer = peer
        self.contract = contract
        self.direction = direction
    }

    /// Calls `method`; the success value, or the error (declared, or SERVER_ERROR).
    public func call<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input, timeout: Duration? = nil) async throws(
        ServiceError
    ) -> Success {
        try await result(method, input, timeout: timeout).get()
    }

    /// Calls a `method` without input.
    public func call<Success>(_ method: ContractMethod<Void, Success>, timeout: Duration? = nil) async throws(ServiceError) -> Success {
        try await result(method, (), timeout: timeout).get()
    }

    /// Calls a `method` without input, returning a ``CallResult``.
    public func result<Success>(_ method: ContractMethod<Void, Success>, timeout: Duration? = nil) async -> CallResult<Success> {
        await result(method, (), timeout: timeout)
    }

    /// Calls `method`, returning a ``CallResult`` over the contract's errors.
    public func result<Input, Success>(_ method: ContractMethod<Input, Success>, _ input: Input, timeout: Duration? = nil) async -> CallResult<
        Success
    > {
        let route = contract.route(of: method)
        guard contract.method(named: method.name, direction) != nil else {
            return .failure(SERVER_ERROR(debugMessage: "\(route) is not a method this side sends"))
        }
        let peer: SocketPeer
        let payload: [UInt8]
        do {
            peer = try self.peer()
            payload = try method.socketPayload(input)
        } catch {
            return .failure(error)
        }
        let started = ContinuousClock.now
        guard method.hasSuccess else {
            do {
                try await peer.message(route: route, payload: payload)
                peer.metrics?.outbound(route: route, result: "OK", nanoseconds: nil)
                // Without `success` the schema is the no-data one (Success == Void): it parses anything to `()`.
                switch method.success.safeParse(.null, coerce: false) {
                case .success(let value): return .success(value)
                case .failure: return .failure(SERVER_ERROR(debugMessage: "\(route) has no success value"))
                }
            } catch {
                peer.metrics?.outbound(route: route, result: "CONNECTION_CLOSED", nanoseconds: nil)
                return .failure(error)
            }
        }
        switch await peer.request(route: route, payload: payload, timeout: timeout) {
        case .failure(let error):
            peer.metrics?.outbound(route: route, result: "CONNECTION_CLOSED", nanoseconds: nil)
            return .failure(error)
        case .success(let frame):
            let result = method.decodeSocketReply(frame)
            let type: String
            switch result {
            case .success: type = "OK"
            case .failure(let error): type = error.type
            }
            peer.metrics?.outbound(route: route, result: type, nanoseconds: (ContinuousClock.now - started).nanoseconds)
            return result
        }
    }

    /// Sends raw DATA to `route` (proxies, debugging): `r` when `expectResponse`, returning the `s` frame, else `m`.
    public func send(route: String, data: JSONValue?, expectResponse: Bool, timeout: Duration? = nil) async throws(ServiceError) -> SocketFrame? {
        let peer = try self.peer()
        var writer = JSONWriter()
        if let data { writer.write(data) }
        if expectResponse {
            return try await peer.request(route: route, payload: writer.bytes, timeout: timeout).get()
        }
        try await peer.message(route: route, payload: writer.bytes)
        return nil
    }
}

/// One connection as the server's handler sees it: typed `incoming` and `outgoing`, the validated query,
/// transport details, close.
public struct ServerSocket<Query: Sendable>: Sendable {
    /// Register handlers for `clientToServer` methods here, before the handler returns (then `k` goes out).
    public let incoming: SocketIncoming
    /// Call `serverToClient` methods (pushes and server-initiated requests). What is sent before `k` (from the
    /// handler, or a task it starts) is held and goes out right after `k`, in order: the client drops earlier frames.
    public let outgoing: SocketOutgoing
    /// The validated, typed query of the upgrade URL.
    public let query: Query
    /// Remote address, upgrade headers, negotiated extensions.
    public let info: WebSocketConnectionInfo
    let peer: SocketPeer

    package init(incoming: SocketIncoming, outgoing: SocketOutgoing, query: Query, info: WebSocketConnectionInfo, peer: SocketPeer) {
        self.incoming = incoming
        self.outgoing = outgoing
        self.query = query
        self.info = info
        self.peer = peer
    }

    /// Runs `callback` when the socket closes, in the connection's context (grest-ts `outgoing.onClose`).
    public func onClose(_ callback: @escaping @Sendable () async -> Void) {
        peer.onClose(callback)
    }

    /// Whether the socket is still open.
    public var isOpen: Bool { !peer.isClosed }

    /// Closes the connection with a close handshake.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async {
        await peer.close(code: code, reason: reason)
    }
}
