package import GrestSchema

/// The server side of the grest handshake as a value: the driver feeds events and performs the actions.
///
/// ```
/// upgrade ─ queryChecked(valid) ─▶ awaitingHandshake ─ h ─▶ runMiddleware ─ middlewareFinished(scopes) ─▶
///   connect permission ok ─▶ .establish(gate)  (driver builds the connection and registers handlers)
///   ─ routesRegistered ─▶ .send(k:::null)  ─▶ established
/// any failure ─▶ .reject(x:::{error}, close 4001);  bad query ─▶ .close(4000), no x;  5 s without h ─▶ .reject
/// ```
///
/// Routes are registered *before* `k` goes out, so a request sent right after `k` always finds its
/// handler (grest-ts sends `k` first, so frames the client sends right after it can reach no handler).
package struct ServerHandshake: Sendable {
    package enum State: Sendable, Equatable {
        case awaitingQueryCheck
        case awaitingHandshake(deadline: ContinuousClock.Instant)
        case runningMiddleware(deadline: ContinuousClock.Instant)
        case registeringRoutes
        case established
        case failed
    }

    package enum Action: Sendable {
        case none
        /// Drop a frame that arrived before the connection was established (grest-ts drops these too).
        case dropFrame(SocketFrame.Kind)
        /// Run the middleware chain (`TransportMiddlewareChain`) on these headers and the
        /// upgrade's cookie and query, then report ``middlewareFinished(_:)``. The deadline still applies.
        case runMiddleware(headers: [String: String])
        /// Create the connection with this gate and run the user's connection handler so it registers its
        /// handlers, then report ``routesRegistered()`` (or ``registrationFailed(_:)``).
        case establish(ConnectionScopes)
        /// Send these bytes (`k:::null`); the connection is open for messages.
        case accept(frame: [UInt8])
        /// Send `frame` (`x:::…`), then close with `code` and `reason`.
        case reject(frame: [UInt8], error: ServiceError?, code: UInt16, reason: String)
        /// Close without a frame (invalid query: 4000).
        case close(code: UInt16, reason: String)
    }

    package private(set) var state: State = .awaitingQueryCheck
    /// How long the client has to send `h` and the middleware to finish (grest-ts: 5 s).
    package let timeout: Duration
    let connectPermission: Permission?
    var gate: ConnectionScopes?

    package init(timeout: Duration = .seconds(5), connectPermission: Permission? = nil) {
        self.timeout = timeout
        self.connectPermission = connectPermission
    }

    /// The instant the driver must call ``deadlinePassed(now:)`` at, while one is pending.
    package var deadline: ContinuousClock.Instant? {
        switch state {
        case .awaitingHandshake(let deadline), .runningMiddleware(let deadline): deadline
        default: nil
        }
    }

    /// The upgrade query was validated (``WebSocketSchema/parseQuery(_:)``); starts the `h` deadline.
    package mutating func queryChecked(isValid: Bool, now: ContinuousClock.Instant) -> Action {
        guard state == .awaitingQueryCheck else { return .none }
        guard isValid else {
            state = .failed
            return .close(code: SocketCloseCode.invalidQuery, reason: SocketCloseCode.invalidQueryReason)
        }
        state = .awaitingHandshake(deadline: now + timeout)
        return .none
    }

    /// A frame arrived before the connection was established. After ``State/established`` the driver
    /// routes frames elsewhere; calling this then returns `.none`.
    package mutating func frameReceived(_ frame: SocketFrame) -> Action {
        switch state {
        case .awaitingHandshake(let deadline) where frame.kind == .handshake:
            state = .runningMiddleware(deadline: deadline)
            return .runMiddleware(headers: Self.headers(from: frame.data().value))
        case .awaitingQueryCheck, .awaitingHandshake, .runningMiddleware, .registeringRoutes:
            return .dropFrame(frame.kind)
        case .established, .failed:
            return .none
        }
    }

    /// The middleware chain finished: the resolved scopes (`nil` = no identity) or its refusal.
    package mutating func middlewareFinished(_ result: Result<Set<String>?, ServiceError>) -> Action {
        guard case .runningMiddleware = state else { return .none }
        switch result {
        case .failure(let error):
            return reject(error)
        case .success(let scopes):
            let gate = ConnectionScopes(scopes: scopes)
            if let refusal = gate.check(connectPermission, route: "connect") { return reject(refusal) }
            self.gate = gate
            state = .registeringRoutes
            return .establish(gate)
        }
    }

    /// The connection handler registered its routes: now, and only now, `k` goes out.
    package mutating func routesRegistered() -> Action {
        guard state == .registeringRoutes else { return .none }
        state = .established
        return .accept(frame: SocketFrameCodec.handshakeAccepted)
    }

    /// The connection handler threw while setting up.
    package mutating func registrationFailed(_ error: any Error) -> Action {
        guard state == .registeringRoutes else { return .none }
        state = .failed
        let error = ServiceError.fromUnknown(error)
        return .reject(
            frame: SocketFrameCodec.encode(.handshakeRejected, json: ["message": "Connection rejected"]), error: error,
            code: SocketCloseCode.handshakeFailed, reason: SocketCloseCode.connectionRejectedReason)
    }

    /// The driver's timer fired.
    package mutating func deadlinePassed(now: ContinuousClock.Instant) -> Action {
        guard let deadline, now >= deadline else { return .none }
        state = .failed
        return .reject(
            frame: SocketFrameCodec.encode(.handshakeRejected, json: ["message": "Handshake timeout"]), error: nil,
            code: SocketCloseCode.handshakeFailed, reason: SocketCloseCode.handshakeFailedReason)
    }

    /// The socket closed; nothing more will happen.
    package mutating func connectionClosed() {
        if state != .established { state = .failed }
    }

    private mutating func reject(_ error: ServiceError) -> Action {
        state = .failed
        return .reject(
            frame: SocketFrameCodec.encode(.handshakeRejected, payload: error.jsonBytes), error: error,
            code: SocketCloseCode.handshakeFailed, reason: SocketCloseCode.handshakeFailedReason)
    }

    /// The `h` payload's string members, without `cookie` (cookies come only from the upgrade request).
    /// A missing or non-object payload means no headers, as `h:::` with `undefined` does in grest-ts.
    static func headers(from value: JSONValue?) -> [String: String] {
        guard case .object(let object) = value else { return [:] }
        var headers: [String: String] = [:]
        for member in object where member.key.lowercased() != "cookie" {
            if case .string(let text) = member.value { headers[member.key] = text }
        }
        return headers
    }
}
