import NIOCore
import NIOWebSocket

/// The RFC 6455 receive side and close handshake as a value: frames in, actions out.
///
/// Covers frame validation (reserved bits, opcodes, masking, control-frame rules), message reassembly with
/// interleaved control frames, incremental UTF-8 validation, size and decompression limits, and the close
/// handshake. It never touches a channel or zlib: inflating is an action whose result comes back through
/// ``receiveInflated(_:isFinal:)``.
struct WebSocketStateMachine {
    enum Role: Sendable, Hashable {
        case server
        case client
    }

    struct Limits: Sendable {
        var maxMessageSize: Int
        var maxDecompressionRatio: Int?
        var decompressionRatioFloor: Int

        init(_ configuration: WebSocketConfiguration) {
            self.maxMessageSize = configuration.maxMessageSize
            self.maxDecompressionRatio = configuration.maxDecompressionRatio
            self.decompressionRatioFloor = configuration.decompressionRatioFloor
        }
    }

    enum ReceiveAction: Equatable {
        case none
        /// A complete message for the application.
        case deliver(WebSocketMessage)
        /// Inflate this payload of a compressed message (producing at most `limit` bytes), then call
        /// ``receiveInflated(_:isFinal:)``.
        case inflate(ByteBuffer, isFinal: Bool, limit: Int)
        /// Answer a ping (RFC 6455 §5.5.2).
        case sendPong(ByteBuffer)
        case pongReceived(ByteBuffer)
        /// The peer started the close handshake: send this close frame back. A server then closes TCP; a client
        /// waits for the server to do so (RFC 6455 §7.1.1).
        case replyToClose(WebSocketCloseCode)
        /// The peer answered our close frame: the handshake is complete.
        case closeHandshakeCompleted
        /// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send a close frame with this code when
        /// `sendClose`, then close TCP.
        case fail(WebSocketCloseCode, reason: String, sendClose: Bool)
    }

    enum CloseAction: Equatable {
        case sendClose(WebSocketCloseCode, reason: String)
        case alreadyClosing
    }

    private enum State {
        case open
        case closeSent
        case closed
    }

    private struct PartialMessage {
        var isText: Bool
        var isCompressed: Bool
        var buffer: ByteBuffer?
        var size = 0
        var compressedSize = 0
        var utf8 = UTF8Validator()
    }

    let role: Role
    let limits: Limits
    /// Whether an extension owns RSV1 (permessage-deflate was negotiated).
    let isCompressionNegotiated: Bool

    private var state = State.open
    private var message: PartialMessage?
    /// What the peer's close frame said, once one arrived.
    private(set) var peerClose: WebSocketCloseInfo?

    init(role: Role, limits: Limits, isCompressionNegotiated: Bool) {
        self.role = role
        self.limits = limits
        self.isCompressionNegotiated = isCompressionNegotiated
    }

    /// Whether data frames may still be sent (no close frame sent or received).
    var canSend: Bool { self.state == .open }
    var isClosed: Bool { self.state == .closed }

    mutating func receive(_ frame: WebSocketFrame) -> ReceiveAction {
        guard self.state != .closed else { return .none }

        // RFC 6455 §5.2: a nonzero reserved bit that no negotiated extension defines fails the connection.
        if frame.rsv2 || frame.rsv3 {
            return self.fail(.protocolError, "reserved bit RSV2/RSV3 set")
        }
        // RFC 6455 §5.1: clients mask every frame, servers none.
        switch self.role {
        case .server where frame.maskKey == nil:
            return self.fail(.protocolError, "unmasked client frame")
        case .client where frame.maskKey != nil:
            return self.fail(.protocolError, "masked server frame")
        default:
            break
        }

        switch frame.opcode {
        case .connectionClose, .ping, .pong:
            return self.receiveControl(frame)
        case .text, .binary, .continuation:
            return self.receiveData(frame)
        default:
            // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved.
            return self.fail(.protocolError, "reserved opcode \(UInt8(webSocketOpcode: frame.opcode))")
        }
    }

    private mutating func receiveControl(_ frame: WebSocketFrame) -> ReceiveAction {
        // RFC 7692 §6.1: RSV1 is for data messages only.
        if frame.rsv1 { return self.fail(.protocolError, "RSV1 set on a control frame") }
        // RFC 6455 §5.5: control frames are at most 125 bytes and never fragmented.
        if !frame.fin { return self.fail(.protocolError, "fragmented control frame") }
        if frame.length > 125 { return self.fail(.protocolError, "control frame longer than 125 bytes") }

        let payload = frame.unmaskedPayload
        switch frame.opcode {
        case .ping:
            return self.state == .open ? .sendPong(payload) : .none
        case .pong:
            return .pongReceived(payload)
        default:
            return self.receiveClose(payload)
        }
    }

    private mutating func receiveClose(_ payload: ByteBuffer) -> ReceiveAction {
        var payload = payload
        var code = WebSocketCloseCode.noStatusReceived
        var reason = ""
        switch payload.readableBytes {
        case 0:
            break
        case 1:
            return self.fail(.protocolError, "close frame with a 1-byte payload")
        default:
            code = WebSocketCloseCode(payload.readInteger(as: UInt16.self)!)
            // RFC 6455 §7.4: codes not allowed on the wire fail the connection.
            guard code.isValidOnWire else { return self.fail(.protocolError, "invalid close code \(code)") }
            // RFC 6455 §5.5.1: the reason is UTF-8.
            var validator = UTF8Validator()
            guard validator.validate(payload), validator.isComplete else {
                return self.fail(.invalidFramePayloadData, "close reason is not valid UTF-8")
            }
            reason = String(buffer: payload)
        }
        self.message = nil
        self.peerClose = WebSocketCloseInfo(code: code, reason: reason, wasClean: true)
        switch self.state {
        case .open:
            self.state = .closed
            // RFC 6455 §5.5.1: echo the code; a close without a code is answered with 1000.
            return .replyToClose(code == .noStatusReceived ? .normalClosure : code)
        case .closeSent:
            self.state = .closed
            return .closeHandshakeCompleted
        case .closed:
            return .none
        }
    }

    private mutating func receiveData(_ frame: WebSocketFrame) -> ReceiveAction {
        let isContinuation = frame.opcode == .continuation
        if isContinuation {
            // RFC 6455 §5.4: a continuation needs a message in progress.
            guard self.message != nil else { return self.fail(.protocolError, "continuation frame without a message") }
            // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
            if frame.rsv1 { return self.fail(.protocolError, "RSV1 set on a continuation frame") }
        } else {
            // RFC 6455 §5.4: no new message until the previous one's FIN frame.
            guard self.message == nil else { return self.fail(.protocolError, "new data frame inside a fragmented message") }
            if frame.rsv1 && !self.isCompressionNegotiated {
                return self.fail(.protocolError, "RSV1 set without a negotiated extension")
            }
            self.message = PartialMessage(isText: frame.opcode == .text, isCompressed: frame.rsv1)
        }
        // RFC 6455 §1.4: after sending close, inbound data is discarded (framing is still checked above).
        if self.state == .closeSent {
            if frame.fin { self.message = nil }
            return .none
        }

        if self.message!.isCompressed {
            self.message!.compressedSize += frame.length
            guard self.message!.compressedSize <= self.limits.maxMessageSize else {
                return self.fail(.messageTooBig, "compressed message larger than \(self.limits.maxMessageSize) bytes")
            }
            return .inflate(frame.unmaskedPayload, isFinal: frame.fin, limit: self.inflateLimit())
        }
        guard self.message!.size + frame.length <= self.limits.maxMessageSize else {
            return self.fail(.messageTooBig, "message larger than \(self.limits.maxMessageSize) bytes")
        }
        if frame.fin && !isContinuation && self.message!.isText {
            // A whole text message in one frame: unmask it straight into the String.
            self.message = nil
            guard let text = frame.unmaskedText() else { return self.fail(.invalidFramePayloadData, "text message is not valid UTF-8") }
            return .deliver(.text(text))
        }
        return self.append(frame.unmaskedPayload, isFinal: frame.fin)
    }

    /// How many more bytes the current compressed message may inflate to (size limit and ratio limit).
    private func inflateLimit() -> Int {
        guard let message = self.message else { return 0 }
        var ceiling = self.limits.maxMessageSize
        if let ratio = self.limits.maxDecompressionRatio {
            let (product, overflow) = message.compressedSize.multipliedReportingOverflow(by: ratio)
            ceiling = min(ceiling, max(self.limits.decompressionRatioFloor, overflow ? .max : product))
        }
        return max(0, ceiling - message.size)
    }

    /// The result of an ``ReceiveAction/inflate(_:isFinal:limit:)`` action.
    mutating func receiveInflated(_ bytes: ByteBuffer, isFinal: Bool) -> ReceiveAction {
        guard self.state == .open, self.message != nil else { return .none }
        return self.append(bytes, isFinal: isFinal)
    }

    /// An ``ReceiveAction/inflate(_:isFinal:limit:)`` action failed.
    mutating func inflateFailed(_ error: WebSocketDecompressionError) -> ReceiveAction {
        switch error {
        case .limitExceeded:
            return self.fail(.messageTooBig, "message inflates beyond the size or ratio limit")
        case .corruptData(let detail):
            return self.fail(.invalidFramePayloadData, "corrupt compressed data: \(detail)")
        }
    }

    /// NIO's frame decoder rejected the byte stream.
    mutating func decoderFailed(_ error: NIOWebSocketError) -> ReceiveAction {
        guard self.state != .closed else { return .none }
        switch error {
        case .invalidFrameLength: return self.fail(.messageTooBig, "frame larger than the maximum frame size")
        case .fragmentedControlFrame: return self.fail(.protocolError, "fragmented control frame")
        case .multiByteControlFrameLength: return self.fail(.protocolError, "control frame longer than 125 bytes")
        }
    }

    private mutating func append(_ bytes: ByteBuffer, isFinal: Bool) -> ReceiveAction {
        if isFinal && self.message!.buffer == nil && self.message!.isText {
            // The whole message in one piece: validating while making the String is the only pass over it.
            self.message = nil
            let text = bytes.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
            guard let text else { return self.fail(.invalidFramePayloadData, "text message is not valid UTF-8") }
            return .deliver(.text(text))
        }
        var bytes = bytes
        if self.message!.isText {
            // RFC 6455 §8.1: fail fast on the first invalid byte, across fragment boundaries.
            guard self.message!.utf8.validate(bytes), !isFinal || self.message!.utf8.isComplete else {
                return self.fail(.invalidFramePayloadData, "text message is not valid UTF-8")
            }
        }
        self.message!.size += bytes.readableBytes
        if self.message!.buffer == nil {
            self.message!.buffer = bytes
        } else {
            self.message!.buffer!.writeBuffer(&bytes)
        }
        guard isFinal else { return .none }
        let complete = self.message!
        self.message = nil
        let buffer = complete.buffer ?? ByteBuffer()
        return .deliver(complete.isText ? .text(String(buffer: buffer)) : .binary(buffer))
    }

    /// The application (or a timeout) starts the close handshake.
    mutating func close(code: WebSocketCloseCode, reason: String) -> CloseAction {
        guard self.state == .open else { return .alreadyClosing }
        self.state = .closeSent
        return .sendClose(code, reason: reason)
    }

    /// Fails the connection from outside the receive path (dead peer, internal error).
    mutating func fail(_ code: WebSocketCloseCode, reason: String) -> ReceiveAction {
        guard self.state != .closed else { return .none }
        return self.fail(code, reason)
    }

    private mutating func fail(_ code: WebSocketCloseCode, _ reason: String) -> ReceiveAction {
        let sendClose = self.state == .open
        self.state = .closed
        self.message = nil
        return .fail(code, reason: reason, sendClose: sendClose)
    }
}
