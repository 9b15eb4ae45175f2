import NIOCore
import NIOWebSocket

/// Runs one WebSocket connection on its event loop, behind NIO's `WebSocketFrameDecoder`/`WebSocketFrameEncoder`.
///
/// It feeds frames to ``WebSocketStateMachine`` and performs the actions: inflating through the negotiated codec,
/// delivering messages to the inbound async sequence (and pausing socket reads while the reader lags), answering
/// pings, the close handshake with its timeout, automatic pings, and the writability-aware outbound queue
/// (``WebSocketOutboundQueue`` decides, this handler writes).
final class WebSocketChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    typealias Producer = NIOAsyncSequenceProducer<
        WebSocketMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, InboundDelegate
    >

    private var machine: WebSocketStateMachine
    private let codec: (any WebSocketMessageCodec)?
    private let configuration: WebSocketConfiguration
    private var context: ChannelHandlerContext?

    // Inbound: delivery and read backpressure.
    private var source: Producer.Source?
    private var isReadingPaused = false
    private var hasPendingRead = false
    private var isInboundDiscarded = false

    // Outbound: the queue behind an unwritable socket.
    private var queue: WebSocketOutboundQueue
    /// The off-loop fast path of `WebSocketConnection.send`, open while a write would go straight to the socket.
    private let gate: OutboundGate

    // Close and liveness.
    private var closeTimer: Scheduled<Void>?
    private var pingTask: RepeatedTask?
    private var lastReceived = NIODeadline.now()
    private var closeInfo: WebSocketCloseInfo?
    /// Set just before this side fails the connection for a reason the state machine does not know (ping timeout).
    private var failureCause: WebSocketCloseCause?
    let closed: EventLoopPromise<WebSocketCloseInfo>

    init(
        role: WebSocketStateMachine.Role,
        configuration: WebSocketConfiguration,
        codec: (any WebSocketMessageCodec)?,
        closed: EventLoopPromise<WebSocketCloseInfo>,
        gate: OutboundGate
    ) {
        self.machine = WebSocketStateMachine(role: role, limits: .init(configuration), isCompressionNegotiated: codec != nil)
        self.codec = codec
        self.configuration = configuration
        self.queue = WebSocketOutboundQueue(maxQueuedBytes: configuration.outbound.maxQueuedBytes)
        self.closed = closed
        self.gate = gate
    }

    /// Wires the inbound sequence; call on the event loop before the handler sees any frame.
    func attach(source: Producer.Source) {
        self.source = source
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.startPinging(context: context) }
        self.updateGate()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startPinging(context: context)
        self.updateGate()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastReceived = .now()
        self.perform(self.machine.receive(frame), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError {
            self.perform(self.machine.decoderFailed(error), context: context)
        } else {
            // I/O errors: there is no one left to shake hands with.
            self.closeInfo = self.closeInfo ?? WebSocketCloseInfo(code: .abnormalClosure, reason: "\(error)", wasClean: false)
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drain(context: context) }
        self.updateGate()
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.isReadingPaused {
            self.hasPendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: Actions

    private func perform(_ action: WebSocketStateMachine.ReceiveAction, context: ChannelHandlerContext) {
        switch action {
        case .none, .pongReceived:
            break

        case .deliver(let message):
            self.deliver(message)

        case .inflate(let payload, let isFinal, let limit):
            guard let codec = self.codec else {
                return self.perform(self.machine.fail(.internalServerError, reason: "no codec"), context: context)
            }
            let next: WebSocketStateMachine.ReceiveAction
            do {
                let inflated = try codec.decompress(payload, isFinal: isFinal, limit: limit, allocator: context.channel.allocator)
                next = self.machine.receiveInflated(inflated, isFinal: isFinal)
            } catch let error as WebSocketDecompressionError {
                next = self.machine.inflateFailed(error)
            } catch {
                next = self.machine.inflateFailed(.corruptData("\(error)"))
            }
            self.perform(next, context: context)

        case .sendPong(let payload):
            switch self.queue.pong(payload, isWritable: context.channel.isWritable) {
            case .write: context.writeAndFlush(Self.wrapOutboundOut(self.frame(.pong, payload)), promise: nil)
            case .hold: break
            }

        case .replyToClose(let code):
            self.closeInfo = self.machine.peerClose
            self.finishInbound()
            self.failQueue()
            self.updateGate()
            let written = context.writeAndFlush(Self.wrapOutboundOut(self.closeFrame(code, reason: "")))
            switch self.machine.role {
            case .server:
                // RFC 6455 §7.1.1: the server closes TCP first (bounded by the close timeout if the write stalls).
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                self.scheduleCloseTimeout(context: context)
            case .client:
                self.scheduleCloseTimeout(context: context)
            }

        case .closeHandshakeCompleted:
            self.closeInfo = self.machine.peerClose
            self.finishInbound()
            self.updateGate()
            switch self.machine.role {
            case .server:
                context.close(promise: nil)
            case .client:
                self.scheduleCloseTimeout(context: context)
            }

        case .fail(let code, let reason, let sendClose):
            self.closeInfo = WebSocketCloseInfo(code: code, reason: reason, wasClean: false, cause: self.failureCause ?? .failed)
            self.finishInbound()
            self.failQueue()
            self.updateGate()
            if sendClose {
                let frame = self.closeFrame(code, reason: reason.truncatedUTF8(maxBytes: 123))
                context.writeAndFlush(Self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        }
    }

    private func deliver(_ message: WebSocketMessage) {
        guard !self.isInboundDiscarded, let source = self.source else { return }
        switch source.yield(message) {
        case .produceMore: break
        case .stopProducing: self.isReadingPaused = true
        case .dropped: self.discardInbound()
        }
    }

    private func finishInbound() {
        self.source?.finish()
        self.source = nil
    }

    // MARK: Inbound backpressure (called from InboundDelegate on the event loop)

    func produceMore() {
        self.isReadingPaused = false
        if self.hasPendingRead, let context = self.context {
            self.hasPendingRead = false
            context.read()
        }
    }

    /// The application stopped iterating: keep reading (control frames still matter) but drop messages.
    func discardInbound() {
        self.isInboundDiscarded = true
        self.produceMore()
    }

    // MARK: Outbound (called from WebSocketConnection on the event loop)

    /// What became of a message handed to ``send(_:)``.
    enum SendResult {
        /// Written to the channel.
        case written
        /// Waiting behind an unwritable socket; the future succeeds once it is written.
        case queued(EventLoopFuture<Void>)
        case failed(any Error)
    }

    /// Writes, queues or refuses a message.
    ///
    /// - Parameter isReserved: the message came through the off-loop fast path (``OutboundGate``): its sender has
    ///   already returned, so it is queued even past `maxQueuedBytes` rather than dropped unseen. The overshoot is
    ///   bounded by the gate's in-flight budget.
    func send(_ message: WebSocketMessage, isReserved: Bool = false) -> SendResult {
        self.send(.message(message), isReserved: isReserved)
    }

    /// Writes, queues or refuses a message or trusted text, as the `WebSocketMessage` overload above.
    func send(_ message: OutboundMessage, isReserved: Bool = false) -> SendResult {
        guard let context = self.context, self.machine.canSend else {
            return .failed(WebSocketError.connectionClosed)
        }
        var payload: ByteBuffer
        let opcode: WebSocketOpcode
        switch message {
        case .message(.text(let text)):
            payload = context.channel.allocator.buffer(string: text)
            opcode = .text
        case .message(.binary(let bytes)):
            payload = bytes
            opcode = .binary
        case .trustedText(let bytes):
            // The sender vouches for the UTF-8 (RFC 6455 §5.6); the bytes go out as they are.
            payload = bytes
            opcode = .text
        }
        // Decided before compressing: a dropped message must not enter the shared compression context.
        let action = self.queue.send(bytes: payload.readableBytes, isWritable: context.channel.isWritable, isReserved: isReserved)
        if action == .refuse { return .failed(WebSocketError.outboundQueueFull) }
        var isCompressed = false
        if let codec = self.codec {
            do {
                if let compressed = try codec.compress(payload, allocator: context.channel.allocator) {
                    payload = compressed
                    isCompressed = true
                }
            } catch {
                self.perform(self.machine.fail(.internalServerError, reason: "compression failed"), context: context)
                return .failed(error)
            }
        }
        // RFC 7692 §6: RSV1 on the first (here: only) frame of a compressed message.
        var frame = self.frame(opcode, payload)
        frame.rsv1 = isCompressed
        if action == .enqueue {
            let promise = context.eventLoop.makePromise(of: Void.self)
            self.queue.enqueue(frame, promise: promise)
            self.updateGate()
            return .queued(promise.futureResult)
        }
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        return .written
    }

    func sendPing(_ payload: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context = self.context, self.machine.canSend else {
            promise?.fail(WebSocketError.connectionClosed)
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(self.frame(.ping, payload)), promise: promise)
    }

    func close(code: WebSocketCloseCode, reason: String) {
        guard let context = self.context else { return }
        switch self.machine.close(code: code, reason: reason) {
        case .alreadyClosing:
            break
        case .sendClose(let code, let reason):
            let frame = self.closeFrame(code, reason: reason)
            switch self.queue.close(frame, isWritable: context.channel.isWritable) {
            case .write: context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
            case .hold: break
            }
            self.updateGate()
            // RFC 6455 §7.1.1: do not wait forever for the peer's close frame.
            self.scheduleCloseTimeout(context: context)
        }
    }

    private func drain(context: ChannelHandlerContext) {
        var written: [EventLoopPromise<Void>] = []
        // Writability is checked before every write: each one can push the channel past its high watermark.
        while let next = self.queue.next(isWritable: context.channel.isWritable) {
            switch next {
            case .message(let frame, let promise):
                context.write(Self.wrapOutboundOut(frame), promise: nil)
                written.append(promise)
            case .close(let frame):
                context.write(Self.wrapOutboundOut(frame), promise: nil)
            }
        }
        if let pong = self.queue.takePong(isWritable: context.channel.isWritable, isClosed: self.machine.isClosed) {
            context.write(Self.wrapOutboundOut(self.frame(.pong, pong)), promise: nil)
        }
        context.flush()
        self.updateGate()
        for promise in written { promise.succeed() }
    }

    private func failQueue() {
        while let promise = self.queue.dropNext() { promise.fail(WebSocketError.connectionClosed) }
    }

    /// Opens the off-loop send fast path only while a write would go straight to the socket.
    private func updateGate() {
        let isOpen = self.queue.isDirectWriteOpen(isWritable: self.context?.channel.isWritable ?? false, canSend: self.machine.canSend)
        if isOpen != self.gate.isOpenNow { self.gate.setOpen(isOpen) }
    }

    // MARK: Timers

    private func scheduleCloseTimeout(context: ChannelHandlerContext) {
        guard self.closeTimer == nil else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.closeTimer = context.eventLoop.scheduleTask(in: self.configuration.closeTimeout) {
            loopBound.value.close(promise: nil)
        }
    }

    private func startPinging(context: ChannelHandlerContext) {
        guard let autoPing = self.configuration.autoPing, self.pingTask == nil else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: autoPing.interval, delay: autoPing.interval) { _ in
            handler.value.pingTick(timeout: autoPing.timeout)
        }
    }

    private func pingTick(timeout: TimeAmount) {
        guard let context = self.context, self.machine.canSend else { return }
        let sentAt = NIODeadline.now()
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(UInt64(sentAt.uptimeNanoseconds))
        context.writeAndFlush(Self.wrapOutboundOut(self.frame(.ping, payload)), promise: nil)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: timeout) {
            handler.value.checkLiveness(since: sentAt)
        }
    }

    private func checkLiveness(since sentAt: NIODeadline) {
        // Any inbound frame proves the peer alive, not only the pong.
        guard let context = self.context, self.lastReceived < sentAt else { return }
        self.failureCause = .pingTimeout
        self.perform(self.machine.fail(.goingAway, reason: "ping timeout"), context: context)
    }

    private func tearDown() {
        self.gate.setOpen(false)
        self.closeTimer?.cancel()
        self.closeTimer = nil
        self.pingTask?.cancel()
        self.pingTask = nil
        self.finishInbound()
        self.failQueue()
        let info = self.closeInfo ?? WebSocketCloseInfo(code: .abnormalClosure, reason: "", wasClean: false)
        self.closed.succeed(info)
    }

    // MARK: Frames

    private func frame(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) -> WebSocketFrame {
        // RFC 6455 §5.3: a client masks every frame with a fresh key.
        let maskKey: WebSocketMaskingKey? = self.machine.role == .client ? .random() : nil
        return WebSocketFrame(fin: true, opcode: opcode, maskKey: maskKey, data: payload)
    }

    private func closeFrame(_ code: WebSocketCloseCode, reason: String) -> WebSocketFrame {
        var payload = ByteBuffer()
        payload.reserveCapacity(2 + reason.utf8.count)
        payload.writeInteger(code.rawValue)
        payload.writeString(reason)
        return self.frame(.connectionClose, payload)
    }
}

@available(*, unavailable)
extension WebSocketChannelHandler: Sendable {}

extension String {
    /// The longest prefix of at most `maxBytes` UTF-8 bytes that ends on a scalar boundary.
    func truncatedUTF8(maxBytes: Int) -> String {
        guard self.utf8.count > maxBytes else { return self }
        var result = ""
        var count = 0
        for scalar in self.unicodeScalars {
            count += UTF8.width(scalar)
            guard count <= maxBytes else { break }
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}

extension WebSocketChannelHandler {
    /// Relays the inbound sequence's demand to the handler on its event loop.
    struct InboundDelegate: NIOAsyncSequenceProducerDelegate {
        let eventLoop: any EventLoop
        let handler: NIOLoopBound<WebSocketChannelHandler>

        func produceMore() {
            let handler = self.handler
            self.eventLoop.execute { handler.value.produceMore() }
        }

        func didTerminate() {
            let handler = self.handler
            self.eventLoop.execute { handler.value.discardInbound() }
        }
    }
}
