public import NIOCore
import NIOWebSocket

/// One open WebSocket, on the server or the client: inbound messages as an async sequence, async sends, close.
///
/// ```swift
/// for await message in connection.inbound {
///     if case .text(let text) = message { try await connection.send(text: "echo: \(text)") }
/// }
/// let info = await connection.closeInfo   // code and reason of the close
/// ```
public final class WebSocketConnection: Sendable {
    /// Peer, request, query and negotiated extensions.
    public let info: WebSocketConnectionInfo
    /// Inbound messages; iterate it once.
    public let inbound: WebSocketInboundStream
    /// The underlying channel (for integration: metrics, graceful shutdown).
    public let channel: any Channel

    private let handler: NIOLoopBound<WebSocketChannelHandler>
    private let closed: EventLoopFuture<WebSocketCloseInfo>
    private let gate: OutboundGate

    init(
        info: WebSocketConnectionInfo,
        inbound: WebSocketInboundStream,
        channel: any Channel,
        handler: NIOLoopBound<WebSocketChannelHandler>,
        gate: OutboundGate
    ) {
        self.info = info
        self.inbound = inbound
        self.channel = channel
        self.handler = handler
        self.closed = handler.value.closed.futureResult
        self.gate = gate
    }

    /// A task executor that runs on this connection's event loop.
    ///
    /// A handler that runs with it as its preference (`withTaskExecutorPreference(connection.eventLoopExecutor)`)
    /// receives and sends without a thread hop per message. It must not block: it shares the loop with the other
    /// connections on it. ``WebSocketServer`` runs handlers this way with ``WebSocketHandlerExecutor/eventLoop``.
    public var eventLoopExecutor: any TaskExecutor {
        EventLoopTaskExecutor(self.channel.eventLoop)
    }

    /// Sends a message. Suspends while the outbound queue is behind an unwritable socket.
    ///
    /// Returns once the connection has the message: written to the channel, or (from off the event loop, while the
    /// socket keeps up) handed to the event loop ahead of anything sent later. As with bytes written to any socket, a
    /// message handed over just before the connection closes may not reach the peer.
    ///
    /// - Throws: ``WebSocketError/connectionClosed`` once closing, ``WebSocketError/outboundQueueFull`` when the
    ///   queue is at its bound (the message is not sent; the connection stays open).
    nonisolated(nonsending) public func send(_ message: WebSocketMessage) async throws {
        try await self.send(outbound: .message(message))
    }

    /// Sends `bytes` as one text message without making a `String` of them: no UTF-8 validation, no copy.
    ///
    /// For layers that wrote the text themselves (the typed socket's frame encoder). The caller guarantees the bytes
    /// are valid UTF-8 (RFC 6455 §5.6); the peer fails the connection (1007) otherwise. Otherwise as ``send(_:)``.
    nonisolated(nonsending) package func send(trustedText bytes: ByteBuffer) async throws {
        try await self.send(outbound: .trustedText(bytes))
    }

    nonisolated(nonsending) private func send(outbound message: OutboundMessage) async throws {
        let handler = self.handler
        if handler.eventLoop.inEventLoop {
            // Already on the connection's loop (a handler preferring ``eventLoopExecutor``): write synchronously and
            // suspend only behind an unwritable socket.
            switch handler.value.send(message) {
            case .written: return
            case .queued(let written): return try await written.get()
            case .failed(let error): throw error
            }
        }
        // Off the loop while the socket keeps up: hand the message over and return, one thread crossing per message.
        let size = message.payloadSize
        let gate = self.gate
        if gate.tryReserve(size) {
            handler.eventLoop.execute {
                defer { gate.release(size) }
                // Never refused for a full queue (the overshoot is bounded by the budget); `.failed` means the
                // connection closed meanwhile.
                _ = handler.value.send(message, isReserved: true)
            }
            return
        }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            handler.eventLoop.execute {
                switch handler.value.send(message) {
                case .written: continuation.resume()
                case .queued(let written): written.whenComplete { continuation.resume(with: $0) }
                case .failed(let error): continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Sends a text message.
    nonisolated(nonsending) public func send(text: String) async throws {
        try await self.send(.text(text))
    }

    /// Sends a binary message.
    nonisolated(nonsending) public func send(binary: ByteBuffer) async throws {
        try await self.send(.binary(binary))
    }

    /// Sends a ping (at most 125 bytes). Pongs are consumed by the transport; any inbound frame counts as liveness.
    public func ping(_ payload: ByteBuffer = ByteBuffer()) async throws {
        guard payload.readableBytes <= 125 else { throw WebSocketError.controlPayloadTooLong }
        let handler = self.handler
        try await self.channel.eventLoop.flatSubmit {
            let promise = handler.eventLoop.makePromise(of: Void.self)
            handler.value.sendPing(payload, promise: promise)
            return promise.futureResult
        }.get()
    }

    /// Starts the close handshake and waits until the connection is closed (the peer answered, or the close
    /// timeout passed). Closing an already closing connection just waits.
    ///
    /// - Throws: ``WebSocketError/invalidCloseCode(_:)`` for codes not allowed on the wire,
    ///   ``WebSocketError/controlPayloadTooLong`` for reasons over 123 UTF-8 bytes.
    @discardableResult
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async throws -> WebSocketCloseInfo {
        guard code.isValidOnWire else { throw WebSocketError.invalidCloseCode(code) }
        guard reason.utf8.count <= 123 else { throw WebSocketError.controlPayloadTooLong }
        self.startClose(code: code, reason: reason)
        return try await self.closed.get()
    }

    /// Starts the close handshake without waiting (for synchronous contexts such as shutdown callbacks).
    public func startClose(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        let handler = self.handler
        let code = code.isValidOnWire ? code : .normalClosure
        let reason = reason.truncatedUTF8(maxBytes: 123)
        self.channel.eventLoop.execute { handler.value.close(code: code, reason: reason) }
    }

    /// How the connection ended; waits until it has.
    public var closeInfo: WebSocketCloseInfo {
        get async { (try? await self.closed.get()) ?? WebSocketCloseInfo(code: .abnormalClosure, reason: "", wasClean: false) }
    }

    /// Closes the socket at once, without a close handshake.
    public func abort() {
        self.channel.close(promise: nil)
    }
}
