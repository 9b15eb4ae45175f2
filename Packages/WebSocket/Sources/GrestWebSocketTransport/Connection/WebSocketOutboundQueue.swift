package import NIOCore
package import NIOWebSocket

/// The frames waiting behind an unwritable socket, as a value: sends, closes, pongs and writability in, decisions out.
///
/// Decides whether a message goes straight to the channel, waits here, or is refused (`maxQueuedBytes`), keeps the
/// queue in order behind its first entry, holds only the latest pong, and says when the off-loop fast path
/// (``OutboundGate``) may be open. ``WebSocketChannelHandler`` performs the writes and completes the promises.
package struct WebSocketOutboundQueue {
    /// A frame waiting for the socket.
    package enum Entry {
        /// A data message; its promise succeeds once it is written.
        case message(WebSocketFrame, EventLoopPromise<Void>)
        case close(WebSocketFrame)
    }

    /// Where a message goes, decided before it is compressed (a refused one must not enter the compression context).
    package enum SendAction: Equatable {
        /// Write it to the channel now.
        case write
        /// Compress it, then ``enqueue(_:promise:)`` it: the socket is unwritable or others wait.
        case enqueue
        /// Refuse it: the queue would pass `maxQueuedBytes` (``WebSocketError/outboundQueueFull``).
        case refuse
    }

    /// What to do with a close frame or a pong.
    package enum ControlAction: Equatable {
        case write
        /// Held until ``next(isWritable:)`` or ``takePong(isWritable:isClosed:)`` lets it go.
        case hold
    }

    package let maxQueuedBytes: Int
    private var entries = CircularBuffer<Entry>(initialCapacity: 0)
    /// The payload bytes of the queued messages.
    package private(set) var queuedBytes = 0
    private var pendingPong: ByteBuffer?

    package init(maxQueuedBytes: Int) {
        self.maxQueuedBytes = maxQueuedBytes
    }

    package var isEmpty: Bool { self.entries.isEmpty }
    package var count: Int { self.entries.count }
    package var hasPendingPong: Bool { self.pendingPong != nil }

    /// Decides where a message of `bytes` payload bytes goes.
    /// - Parameter isReserved: the message came through the off-loop fast path (``OutboundGate``): its sender has
    ///   already returned, so it is queued even past `maxQueuedBytes` rather than dropped unseen. The overshoot is
    ///   bounded by the gate's in-flight budget.
    package func send(bytes: Int, isWritable: Bool, isReserved: Bool) -> SendAction {
        // Behind an unwritable socket or earlier entries: writing now would overtake them.
        guard !self.entries.isEmpty || !isWritable else { return .write }
        if !isReserved && self.queuedBytes + bytes > self.maxQueuedBytes { return .refuse }
        return .enqueue
    }

    /// Queues a (possibly compressed) message that ``send(bytes:isWritable:isReserved:)`` said to enqueue.
    package mutating func enqueue(_ frame: WebSocketFrame, promise: EventLoopPromise<Void>) {
        self.entries.append(.message(frame, promise))
        self.queuedBytes += frame.length
    }

    /// Our close frame: written now, or queued behind the messages sent before it.
    package mutating func close(_ frame: WebSocketFrame, isWritable: Bool) -> ControlAction {
        if self.entries.isEmpty && isWritable { return .write }
        self.entries.append(.close(frame))
        return .hold
    }

    /// A pong for the peer's ping: written now, or held while the socket is unwritable.
    package mutating func pong(_ payload: ByteBuffer, isWritable: Bool) -> ControlAction {
        if isWritable { return .write }
        // RFC 6455 §5.5.3: answering only the latest ping is allowed; keeps a ping flood bounded.
        self.pendingPong = payload
        return .hold
    }

    /// The next entry to write while the socket is writable (the driver checks again after every write).
    package mutating func next(isWritable: Bool) -> Entry? {
        guard isWritable, let entry = self.entries.popFirst() else { return nil }
        if case .message(let frame, _) = entry { self.queuedBytes -= frame.length }
        return entry
    }

    /// The held pong, once the queue drained and the socket is writable (none after the connection closed).
    package mutating func takePong(isWritable: Bool, isClosed: Bool) -> ByteBuffer? {
        guard isWritable, !isClosed, let pong = self.pendingPong else { return nil }
        self.pendingPong = nil
        return pong
    }

    /// Empties the queue as the connection closes, one message at a time: the driver fails each promise returned
    /// until it returns `nil`. Allocates nothing.
    package mutating func dropNext() -> EventLoopPromise<Void>? {
        self.pendingPong = nil
        while let entry = self.entries.popFirst() {
            if case .message(let frame, let promise) = entry {
                self.queuedBytes -= frame.length
                return promise
            }
        }
        self.queuedBytes = 0
        return nil
    }

    /// Whether the off-loop fast path may be open: a write would go straight to the socket.
    package func isDirectWriteOpen(isWritable: Bool, canSend: Bool) -> Bool {
        isWritable && self.entries.isEmpty && canSend
    }
}
