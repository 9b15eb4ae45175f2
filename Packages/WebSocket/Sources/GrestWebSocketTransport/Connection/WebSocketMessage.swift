public import NIOCore

/// A complete WebSocket data message, reassembled from its fragments and decompressed.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message; its UTF-8 was validated before delivery.
    case text(String)
    /// A binary message.
    case binary(ByteBuffer)

    /// The payload's length in bytes (before compression).
    var payloadSize: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.readableBytes
        }
    }
}

/// What a connection hands its channel handler to send: a public message, or text bytes whose UTF-8 the sender
/// vouches for (``WebSocketConnection/send(trustedText:)``), written without a `String` in between.
enum OutboundMessage: Sendable {
    case message(WebSocketMessage)
    case trustedText(ByteBuffer)

    /// The payload's length in bytes (before compression).
    var payloadSize: Int {
        switch self {
        case .message(let message): message.payloadSize
        case .trustedText(let bytes): bytes.readableBytes
        }
    }
}

/// Why a WebSocket operation failed.
public enum WebSocketError: Error, Hashable, Sendable {
    /// The connection is closing or closed; nothing more can be sent.
    case connectionClosed
    /// The outbound queue is full (see ``WebSocketConfiguration/Outbound``); the message was not sent.
    case outboundQueueFull
    /// A control frame payload exceeds 125 bytes (RFC 6455 §5.5), or a close reason exceeds 123 bytes.
    case controlPayloadTooLong
    /// The close code may not be sent on the wire (RFC 6455 §7.4).
    case invalidCloseCode(WebSocketCloseCode)
}

/// How a connection ended.
public struct WebSocketCloseInfo: Sendable, Hashable {
    /// The code the peer sent (or that we sent, when we failed the connection); 1005 when the close frame had no
    /// code, 1006 when the connection dropped without a close handshake.
    public var code: WebSocketCloseCode
    public var reason: String
    /// Whether a close frame was both sent and received.
    public var wasClean: Bool
    /// Why the connection ended, for code that must tell the cases apart (never match ``reason`` text).
    public var cause: WebSocketCloseCause

    /// - Parameter cause: by default derived: a clean close is a handshake, 1006 a drop, anything else a failure.
    public init(code: WebSocketCloseCode, reason: String, wasClean: Bool, cause: WebSocketCloseCause? = nil) {
        self.code = code
        self.reason = reason
        self.wasClean = wasClean
        self.cause = cause ?? (wasClean ? .closeHandshake : code == .abnormalClosure ? .dropped : .failed)
    }
}

/// Why a WebSocket connection ended.
public enum WebSocketCloseCause: Sendable, Hashable {
    /// A close handshake: one side sent a close frame and the other answered it.
    case closeHandshake
    /// This side failed the connection (a protocol violation, a limit, invalid UTF-8): close frame sent, no answer
    /// awaited.
    case failed
    /// This side's automatic ping got no frame back within its timeout (closed with 1001).
    case pingTimeout
    /// The connection ended without a close handshake: the peer vanished, an I/O error, or the close timeout passed.
    case dropped
}
