public import GrestSchema

/// Why a client could not establish a socket; each case maps to a typed ``ServiceError``.
public enum SocketConnectError: Error, Sendable, CustomStringConvertible {
    /// The server answered `x` with this error (then closes 4001). Never retried.
    case handshakeRejected(ServiceError)
    /// The server closed with 4000: the query failed validation. Never retried.
    case invalidQuery
    /// No `k` or `x` arrived in time.
    case handshakeTimeout
    /// The socket closed during the handshake without an `x` (fail at once, not at the handshake timeout as grest-ts does).
    case closedDuringHandshake(code: UInt16?, reason: String)
    /// The transport could not open the socket.
    case transport(String)

    /// The error a caller sees.
    public var serviceError: ServiceError {
        switch self {
        case .handshakeRejected(let error): error
        case .invalidQuery: VALIDATION_ERROR([], displayMessage: SocketCloseCode.invalidQueryReason)
        case .handshakeTimeout: SERVER_ERROR(displayMessage: "Handshake timeout")
        case .closedDuringHandshake(let code, let reason):
            if code == SocketCloseCode.handshakeFailed {
                SERVER_ERROR(displayMessage: reason.isEmpty ? SocketCloseCode.handshakeFailedReason : reason)
            } else {
                SERVER_ERROR(displayMessage: "Socket closed during handshake", debugMessage: "close \(code.map(String.init) ?? "-") \(reason)")
            }
        case .transport(let message): SERVER_ERROR(displayMessage: "Socket connection failed", debugMessage: message)
        }
    }

    /// Whether this is a refusal by the server (4000, 4001 or `x`) rather than a network failure.
    public var isRefusal: Bool {
        switch self {
        case .handshakeRejected, .invalidQuery: true
        case .closedDuringHandshake(let code, _): code == SocketCloseCode.handshakeFailed || code == SocketCloseCode.invalidQuery
        case .handshakeTimeout, .transport: false
        }
    }

    public var description: String { serviceError.toText(includeDebug: true) }
}
