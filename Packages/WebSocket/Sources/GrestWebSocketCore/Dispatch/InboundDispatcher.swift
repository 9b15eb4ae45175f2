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
        /// Send this `s` frame now; `error` is the refusal it carries (for metrics and logs).
        case reply([UInt8], error: ServiceError)
        /// Run ``InboundCall/run()`` concurrently, send its result if any, then call ``callFinished()``.
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
        methods[path] != nil ? path : "unknown"
    }

    package private(set) var table: SocketHandlerTable
    package let gate: ConnectionScopes
    /// Handlers allowed to run at once; an `r` beyond it gets SERVER_ERROR, an `m` is dropped.
    package let maxConcurrent: Int
    private let methods: [String: SocketMethod]
    package private(set) var running = 0
    package private(set) var unknownMessageCount = 0
    package private(set) var droppedCount = 0

    package init(table: SocketHandlerTable, gate: ConnectionScopes, maxConcurrent: Int = 256) {
        precondition(maxConcurrent > 0, "maxConcurrent must be positive")
        self.table = table
        self.gate = gate
        self.maxConcurrent = maxConcurrent
        var methods: [String: SocketMethod] = [:]
        for method in table.contract.methods(table.direction) { methods[method.route] = method }
        self.methods = methods
    }

    /// Registers handlers after creation (a client's setup, a pooled handle).
    package mutating func updateTable(_ update: (inout SocketHandlerTable) throws(SocketRegistrationError) -> Void) throws(SocketRegistrationError) {
        try update(&table)
    }

    package mutating func frameReceived(_ frame: SocketFrame) -> Action {
        let isRequest: Bool
        switch frame.kind {
        case .request: isRequest = true
        case .message: isRequest = false
        default: return .drop(.notInbound(frame.kind))
        }
        guard let method = methods[frame.path] else {
            if !isRequest { unknownMessageCount += 1 }
            return refuse(frame, isRequest, ROUTE_NOT_FOUND(displayMessage: "Route not found"), .unknownRoute(frame.path))
        }
        // Server-to-client methods are never gated (grest-ts checks permissions on incoming calls only); the contract refuses permissions on them.
        if method.direction == .clientToServer, let refusal = gate.check(method.permission, route: method.route) {
            return refuse(frame, isRequest, refusal, .permissionDenied(route: method.route, type: refusal.type))
        }
        guard let handler = table.handler(for: method.route) else {
            return refuse(
                frame, isRequest, SERVER_ERROR(debugMessage: "No handler registered for \(method.route)"), .noHandler(method.route))
        }
        guard running < maxConcurrent else {
            return refuse(
                frame, isRequest, SERVER_ERROR(displayMessage: "Too many requests in flight", debugMessage: "limit \(maxConcurrent)"),
                .overloaded(method.route))
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
        if isRequest { return .reply(SocketFrameCodec.encodeResponse(to: frame, body: error.jsonBytes), error: error) }
        droppedCount += 1
        return .drop(reason)
    }
}

/// One admitted `r` or `m`: the handler to run and how to answer.
package struct InboundCall: Sendable {
    package let frame: SocketFrame
    /// `true` for `r`: ``run()`` returns the `s` frame.
    package let expectsReply: Bool
    let handler: ErasedSocketHandler

    /// The route, e.g. `ChatApi.sendMessage`.
    package var route: String { frame.path }

    /// Parses DATA (malformed JSON reads as absent, as in grest-ts), runs the handler and returns the `s`
    /// frame for an `r`, `nil` for an `m`. Never throws: every `r` gets exactly one reply.
    package func run() async -> [UInt8]? {
        await execute().frame.map { Array($0.readableBytesView) }
    }

    /// ``run()`` plus the outcome for metrics and logs: the error of a failed call, `nil` on success. The `s` comes
    /// as the buffer the transport sends as trusted text.
    package func execute() async -> (frame: ByteBuffer?, error: ServiceError?) {
        let reply = await handler(frame.data().value)
        let frame = expectsReply ? SocketFrameCodec.encodeBuffer(.response, path: frame.path, id: frame.id, payload: reply.body) : nil
        return (frame, reply.error)
    }
}
