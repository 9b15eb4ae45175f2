package import GrestSchema
package import NIOCore

/// Decides what happens to each inbound `r` and `m`, as a value; the driver runs the handlers.
///
/// For an `r` the answer is always exactly one `s` (grest-ts sends none when a handler throws outside its contract layer): ROUTE_NOT_FOUND for an unknown route,
/// NOT_AUTHORIZED / FORBIDDEN from the permission gate (the socket stays open), SERVER_ERROR for a
/// declared method without handler or when too many handlers are already running, else the handler's
/// reply. An `m` never gets an answer; unknown routes and refusals are counted and dropped.
///
/// Handlers run concurrently and unordered, as in grest-ts; at most ``maxConcurrent`` at once.
package struct InboundDispatcher: Sendable {
    package enum Action: Sendable {
        /// Send this `s` frame now (written by ``SocketFrameCodec``, so trusted text); `error` is the refusal it
        /// carries (for metrics and logs).
        case reply(ByteBuffer, error: ServiceError)
        /// Run ``InboundCall/execute()`` concurrently, send its result if any, then call ``callFinished()``.
        case run(InboundCall)
        /// Drop the frame; the reason is for logs and metrics.
        case drop(DropReason)
    }

    package enum DropReason: Sendable, Equatable {
        case unknownRoute(String)
        case permissionDenied(route: String, type: String)
        case noHandler(String)
        case overloaded(String)
        /// Not an `r` or `m`.
        case notInbound(SocketFrame.Kind)
    }

    /// The metric label for a route: itself when the contract knows it, else a fixed `"unknown"` so peer
    /// input cannot grow label cardinality (grest-ts labels with the route the peer sent).
    package func metricLabel(for path: String) -> String {
        routes[path] != nil ? path : "unknown"
    }

    package private(set) var table: SocketHandlerTable
    package let gate: ConnectionScopes
    /// Handlers allowed to run at once; an `r` beyond it gets SERVER_ERROR, an `m` is dropped.
    package let maxConcurrent: Int
    /// Each declared route with its handler, rebuilt when the table changes: one hash and one retain per frame.
    private var routes: [String: Route]
    package private(set) var running = 0
    package private(set) var unknownMessageCount = 0
    package private(set) var droppedCount = 0

    package init(table: SocketHandlerTable, gate: ConnectionScopes, maxConcurrent: Int = 256) {
        precondition(maxConcurrent > 0, "maxConcurrent must be positive")
        self.table = table
        self.gate = gate
        self.maxConcurrent = maxConcurrent
        self.routes = Self.routes(of: table)
    }

    /// Registers handlers after creation (a client's setup, a pooled handle).
    package mutating func updateTable(_ update: (inout SocketHandlerTable) throws(SocketRegistrationError) -> Void) throws(SocketRegistrationError) {
        // Rebuilt even when `update` throws part-way: what it did register before the throw stays registered.
        defer { routes = Self.routes(of: table) }
        try update(&table)
    }

    /// What a frame's dispatch needs of one declared route.
    private final class Route: Sendable {
        let path: String
        /// The scope to check; `nil` when none is declared or the method is server-to-client (never gated).
        let gate: Permission?
        let handler: ErasedSocketHandler?

        init(_ method: SocketMethod, handler: ErasedSocketHandler?) {
            self.path = method.route
            self.gate = method.direction == .clientToServer ? method.permission : nil
            self.handler = handler
        }
    }

    private static func routes(of table: SocketHandlerTable) -> [String: Route] {
        var routes: [String: Route] = [:]
        for method in table.contract.methods(table.direction) {
            routes[method.route] = Route(method, handler: table.handler(for: method.route))
        }
        return routes
    }

    package mutating func frameReceived(_ frame: SocketFrame) -> Action {
        let isRequest: Bool
        switch frame.kind {
        case .request: isRequest = true
        case .message: isRequest = false
        default: return .drop(.notInbound(frame.kind))
        }
        guard let route = routes[frame.path] else {
            if !isRequest { unknownMessageCount += 1 }
            return refuse(frame, isRequest, ROUTE_NOT_FOUND(displayMessage: "Route not found"), .unknownRoute(frame.path))
        }
        // Server-to-client methods are never gated (grest-ts checks permissions on incoming calls only); the contract refuses permissions on them.
        if let permission = route.gate, let refusal = gate.check(permission, route: route.path) {
            return refuse(frame, isRequest, refusal, .permissionDenied(route: route.path, type: refusal.type))
        }
        guard let handler = route.handler else {
            return refuse(
                frame, isRequest, SERVER_ERROR(debugMessage: "No handler registered for \(route.path)"), .noHandler(route.path))
        }
        guard running < maxConcurrent else {
            return refuse(
                frame, isRequest, SERVER_ERROR(displayMessage: "Too many requests in flight", debugMessage: "limit \(maxConcurrent)"),
                .overloaded(route.path))
        }
        running += 1
        return .run(InboundCall(frame: frame, expectsReply: isRequest, handler: handler))
    }

    /// A call handed out by `.run` has finished.
    package mutating func callFinished() {
        precondition(running > 0, "callFinished without a running call")
        running -= 1
    }

    private mutating func refuse(_ frame: SocketFrame, _ isRequest: Bool, _ error: ServiceError, _ reason: DropReason) -> Action {
        if isRequest {
            return .reply(SocketFrameCodec.encodeBuffer(.response, path: frame.path, id: frame.id, payload: error.jsonBytes), error: error)
        }
        droppedCount += 1
        return .drop(reason)
    }
}

/// One admitted `r` or `m`: the handler to run and how to answer.
package struct InboundCall: Sendable {
    package let frame: SocketFrame
    /// `true` for `r`: ``execute()`` returns the `s` frame.
    package let expectsReply: Bool
    let handler: ErasedSocketHandler

    /// The route, e.g. `ChatApi.sendMessage`.
    package var route: String { frame.path }

    /// Parses DATA (malformed JSON reads as absent, as in grest-ts), runs the handler and returns the `s` frame for an
    /// `r` (`nil` for an `m`), as the buffer the transport sends as trusted text, with the outcome for metrics and
    /// logs: the error of a failed call, `nil` on success. Never throws: every `r` gets exactly one reply.
    nonisolated(nonsending) package func execute() async -> (frame: ByteBuffer?, error: ServiceError?) {
        let reply = await handler(frame.data().value)
        let frame = expectsReply ? SocketFrameCodec.encodeBuffer(.response, path: frame.path, id: frame.id, payload: reply.body) : nil
        return (frame, reply.error)
    }
}
