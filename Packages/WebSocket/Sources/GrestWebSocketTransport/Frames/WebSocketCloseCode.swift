/// A close status code (RFC 6455 §7.4).
///
/// ```swift
/// try await connection.close(code: .normalClosure, reason: "bye")
/// ```
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = WebSocketCloseCode(1000)
    /// 1001: the endpoint is going away (server shutdown, dead peer).
    public static let goingAway = WebSocketCloseCode(1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = WebSocketCloseCode(1002)
    /// 1003: a data type the endpoint cannot accept.
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// 1005: no status code was present. Never sent on the wire.
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// 1006: the connection dropped without a close frame. Never sent on the wire.
    public static let abnormalClosure = WebSocketCloseCode(1006)
    /// 1007: message data inconsistent with its type (invalid UTF-8 in a text message or close reason).
    public static let invalidFramePayloadData = WebSocketCloseCode(1007)
    /// 1008: a message violated the endpoint's policy.
    public static let policyViolation = WebSocketCloseCode(1008)
    /// 1009: a message was too big to process (size, decompressed size or decompression ratio limit).
    public static let messageTooBig = WebSocketCloseCode(1009)
    /// 1010: the client expected an extension the server did not negotiate.
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    /// 1011: the server hit an unexpected condition.
    public static let internalServerError = WebSocketCloseCode(1011)

    /// Whether an endpoint may send this code in a close frame, and accept it in one (RFC 6455 §7.4.1, §7.4.2).
    ///
    /// 1000–1003 and 1007–1011 are defined by RFC 6455, 1012–1014 are registered with IANA,
    /// 3000–3999 belong to libraries and frameworks, 4000–4999 to applications. Everything else, including
    /// 1005 and 1006 (reserved for local use), is a protocol error on the wire.
    public var isValidOnWire: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(self.rawValue) }
}
