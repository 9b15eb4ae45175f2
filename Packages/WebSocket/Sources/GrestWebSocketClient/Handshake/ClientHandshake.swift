import GrestSchema

/// The client side of the grest handshake as a value.
///
/// ```
/// start(headers) ─▶ .send(h:::{headers}) ─▶ awaiting ─ k ─▶ .established
///                                                    ─ x ─▶ .failed(.handshakeRejected(typed error))
///                                                    ─ close ─▶ .failed at once (4000 → invalidQuery)
///                                                    ─ deadline ─▶ .failed(.handshakeTimeout)
/// ```
package struct ClientHandshake: Sendable {
    package enum State: Sendable, Equatable {
        case idle
        case awaitingReply(deadline: ContinuousClock.Instant)
        case established
        case failed
    }

    package enum Action: Sendable {
        case none
        /// Send `h:::{headers}`.
        case send([UInt8])
        /// A frame that arrived before `k`; dropped.
        case dropFrame(SocketFrame.Kind)
        /// The socket is ready: register setup handlers, then deliver frames to the connection.
        case established
        /// The connect failed; close the socket (if still open) and report `error`.
        case failed(SocketConnectError)
    }

    package private(set) var state: State = .idle
    /// How long to wait for `k` or `x` (grest-ts: 5 s).
    package let timeout: Duration

    package init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    package var deadline: ContinuousClock.Instant? {
        if case .awaitingReply(let deadline) = state { return deadline }
        return nil
    }

    /// The socket opened: send the headers built by `TransportMiddlewareChain`.
    package mutating func start(headers: [String: String], now: ContinuousClock.Instant) -> Action {
        guard state == .idle else { return .none }
        state = .awaitingReply(deadline: now + timeout)
        var object = JSONObject(minimumCapacity: headers.count)
        for (key, value) in headers.sorted(by: { $0.key < $1.key }) { object.append(key, .string(value)) }
        return .send(SocketFrameCodec.encode(.handshake, json: .object(object)))
    }

    package mutating func frameReceived(_ frame: SocketFrame) -> Action {
        guard case .awaitingReply = state else { return .none }
        switch frame.kind {
        case .handshakeAccepted:
            state = .established
            return .established
        case .handshakeRejected:
            state = .failed
            return .failed(.handshakeRejected(Self.rejection(from: frame.data().value)))
        default:
            return .dropFrame(frame.kind)
        }
    }

    /// The socket closed before `k`: fail now rather than at the deadline (grest-ts waits out its 5 s timeout).
    package mutating func connectionClosed(code: UInt16?, reason: String) -> Action {
        guard case .awaitingReply = state else { return .none }
        state = .failed
        if code == SocketCloseCode.invalidQuery { return .failed(.invalidQuery) }
        return .failed(.closedDuringHandshake(code: code, reason: reason))
    }

    package mutating func deadlinePassed(now: ContinuousClock.Instant) -> Action {
        guard let deadline, now >= deadline else { return .none }
        state = .failed
        return .failed(.handshakeTimeout)
    }

    /// The `x` payload as a typed error: built-in TYPEs are rebuilt as themselves, others and payloads
    /// without a TYPE (`{"message":…}`) become SERVER_ERROR, as grest-ts's client maps them.
    static func rejection(from value: JSONValue?) -> ServiceError {
        if let value, let error = ServiceError(json: value) {
            if systemErrorTypes.contains(error.type) { return error }
            return SERVER_ERROR(displayMessage: error.displayMessage, debugMessage: "Handshake refused with \(error.type)", originalError: error)
        }
        let message = value?["message"]?.stringValue
        return SERVER_ERROR(displayMessage: message ?? SocketCloseCode.handshakeFailedReason, debugData: value)
    }
}
