package import NIOCore
package import NIOHTTP1

/// One HTTP/1.1 server connection's request loop as a value: request parts, replies and timer ticks in, actions out.
///
/// Covers the request cycle (idle → receiving → processing → idle), the body limit, the pipelining backlog and the
/// `read()` held while it holds anything, half-close, parser errors, and the idle and read deadlines. It never
/// touches a channel: ``HTTPConnectionHandler`` routes heads, computes replies and performs the actions.
///
/// ```
///            head (routeHead → headAccepted)          end (dispatch)
///   idle ───────────────────────────────▶ receiving ───────────────▶ processing
///    ▲                                                                   │
///    └───────────────── replyStarted(keep-alive) ◀──────────────────────┘
///   any ── replyStarted(close) / parser error ──▶ rejecting ── close ──▶ closed
/// ```
///
/// `Routed` is what the driver learned from the head (route, path, start time); the machine only carries it.
package struct HTTPConnectionStateMachine<Routed> {
    /// A request whose head was accepted, its body so far.
    package struct Request {
        package var routed: Routed
        package var body: ByteBuffer?
        package var receivedBytes = 0
        package var maxBodyBytes: Int
        /// When the head arrived: the read timeout counts from here.
        package var started: NIODeadline

        package init(routed: Routed, maxBodyBytes: Int, started: NIODeadline) {
            self.routed = routed
            self.maxBodyBytes = maxBodyBytes
            self.started = started
        }
    }

    /// What the driver does after a request part, a parser error, a half-close or a finished reply.
    package enum Action {
        case none
        /// A head arrived while idle: route it, then call ``headAccepted(_:now:)`` or answer it at once
        /// (``replyStarted(isKeepAliveRequested:now:)`` with a closing reply).
        case routeHead(HTTPRequestHead)
        /// The request is complete: compute its reply. Parts that arrive meanwhile wait in the backlog.
        case dispatch(Request)
        /// The body outgrew its limit: answer 413 and close.
        case rejectBodyTooLarge(Request)
        /// Bytes that are not HTTP/1.1: answer 400 and close now.
        case answerParserError
        /// Pass on the `read()` that was held while the backlog held anything.
        case resumeReading
        /// Close the connection once the last reply written has been flushed (after a half-close).
        case closeAfterLastReply
    }

    /// What the driver does about the connection's one deadline check.
    package enum TimerAction: Equatable {
        case none
        /// Schedule the (single) deadline check at this time, then call ``timerFired(now:)``.
        case scheduleCheck(at: NIODeadline)
        /// The idle or read deadline passed: close the connection.
        case close
    }

    /// How a reply ends the request.
    package enum ReplyAction: Equatable {
        /// Keep the connection open; the idle timeout runs again.
        case keepAlive(TimerAction)
        /// Close after this reply (the request asked for it, or the client half-closed and sent nothing more).
        case closeAfterReply
    }

    private enum State {
        /// Waiting for a request head (the idle timeout runs).
        case idle
        /// Reading a request body (the read timeout runs).
        case receiving(Request)
        /// The reply is being computed.
        case processing
        /// A reply that closes the connection was sent; the rest is dropped.
        case rejecting
        case closed
        /// Only while a body part is appended: the buffer is not shared with `state`, so appending never copies it.
        case modifying
    }

    /// What arrived while a request was being answered, in order.
    private enum Backlogged {
        case part(HTTPServerRequestPart)
        case parserError
    }

    private let idleTimeout: TimeAmount
    private let readTimeout: TimeAmount
    private var state = State.idle
    /// Empty unless a request is in flight (`.processing`): ``replayBacklog()`` replays it until one is again.
    private var backlog = CircularBuffer<Backlogged>(initialCapacity: 0)
    /// A `read()` was held back because the backlog is not empty.
    package private(set) var isReadHeld = false
    /// The client shut down its write side (half-close): what it sent is answered, then the connection closes.
    package private(set) var isInputClosed = false
    private var deadline: NIODeadline?
    private var isCheckScheduled = false

    package init(idleTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    /// Whether a request is being answered (its reply not yet started).
    package var isProcessing: Bool {
        if case .processing = self.state { return true }
        return false
    }

    /// Whether the connection is done: closed, failed, timed out, or taken over by an upgrade.
    package var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: Lifecycle

    /// The connection became active: the idle timeout starts.
    package mutating func connectionActive(now: NIODeadline) -> TimerAction {
        self.arm(now + self.idleTimeout, now: now)
    }

    /// The channel went inactive: nothing more is answered.
    package mutating func channelInactive() {
        self.state = .closed
        self.deadline = nil
        self.backlog.removeAll()
    }

    /// The handler was removed (an upgrade took the connection): returns whether a held `read()` must be passed on.
    package mutating func handlerRemoved() -> Bool {
        self.state = .closed
        self.backlog.removeAll()
        defer { self.isReadHeld = false }
        return self.isReadHeld
    }

    /// The connection failed (an I/O error): the driver closes it.
    package mutating func failed() {
        self.state = .closed
    }

    // MARK: Reading

    /// A request part arrived from the decoder.
    package mutating func receive(_ part: HTTPServerRequestPart) -> Action {
        if case .processing = self.state {
            self.backlog.append(.part(part))
            return .none
        }
        return self.process(part)
    }

    /// The decoder failed on bytes that are not HTTP/1.1.
    package mutating func parserError() -> Action {
        switch self.state {
        case .processing:
            // Answered after the reply in flight and whatever was pipelined before the bad bytes.
            self.backlog.append(.parserError)
            return .none
        case .idle, .receiving:
            return self.rejectParserError()
        case .rejecting, .closed, .modifying:
            return .none
        }
    }

    /// The channel asks for more bytes: returns whether to pass the `read()` on. While a request is answered and
    /// others wait, it is held, so a client that floods pipelined requests is read no further than one batch ahead.
    package mutating func readRequested() -> Bool {
        if case .processing = self.state, !self.backlog.isEmpty {
            self.isReadHeld = true
            return false
        }
        return true
    }

    /// The client half-closed: what it sent is answered, then the connection closes.
    package mutating func inputClosed() -> Action {
        self.isInputClosed = true
        return self.closeIfInputIsDone()
    }

    /// The driver routed the head of ``Action/routeHead(_:)`` and reads its body now; the read timeout starts.
    package mutating func headAccepted(_ request: Request, now: NIODeadline) -> TimerAction {
        guard case .idle = self.state else { return .none }
        self.state = .receiving(request)
        return self.arm(request.started + self.readTimeout, now: now)
    }

    private mutating func process(_ part: HTTPServerRequestPart) -> Action {
        switch part {
        case .head(let head):
            guard case .idle = self.state else { return .none }
            return .routeHead(head)
        case .body(var bytes):
            guard case .receiving(var request) = self.state else { return .none }
            self.state = .modifying
            request.receivedBytes += bytes.readableBytes
            if request.receivedBytes > request.maxBodyBytes {
                self.state = .receiving(request)
                return .rejectBodyTooLarge(request)
            }
            if request.body == nil {
                request.body = bytes
            } else {
                request.body!.writeBuffer(&bytes)
            }
            self.state = .receiving(request)
            return .none
        case .end:
            guard case .receiving(let request) = self.state else { return .none }
            self.state = .processing
            self.deadline = nil
            return .dispatch(request)
        }
    }

    private mutating func rejectParserError() -> Action {
        self.state = .rejecting
        self.backlog.removeAll()
        self.deadline = nil
        return .answerParserError
    }

    // MARK: Answering

    /// A reply is about to be written (before its `.end`: writing may hand the driver the next request).
    /// - Parameter isKeepAliveRequested: the request allows keeping the connection (`HTTPRequestHead.isKeepAlive`).
    package mutating func replyStarted(isKeepAliveRequested: Bool, now: NIODeadline) -> ReplyAction {
        // After a half-close, the reply to the last request the client sent is the connection's last.
        guard isKeepAliveRequested, !(self.isInputClosed && self.backlog.isEmpty) else {
            self.state = .rejecting
            return .closeAfterReply
        }
        self.state = .idle
        return .keepAlive(self.arm(now + self.idleTimeout, now: now))
    }

    /// After a reply was written: the next action of the backlog. Call until it returns ``Action/none``, performing
    /// each action (a routed head must be accepted or answered before the next call).
    package mutating func replayBacklog() -> Action {
        while !self.backlog.isEmpty {
            switch self.state {
            case .idle, .receiving:
                let action: Action
                switch self.backlog.removeFirst() {
                case .part(let part): action = self.process(part)
                case .parserError: action = self.rejectParserError()
                }
                if case .none = action { continue }
                return action
            case .processing:
                return .none
            case .rejecting, .closed, .modifying:
                self.backlog.removeAll()
            }
        }
        if self.isReadHeld {
            self.isReadHeld = false
            return .resumeReading
        }
        return self.closeIfInputIsDone()
    }

    /// After a half-close: closes once no request is being answered or waits (a request cut short by the half-close
    /// never completes). A reply in flight closes the connection itself (``replyStarted(isKeepAliveRequested:now:)``).
    private mutating func closeIfInputIsDone() -> Action {
        guard self.isInputClosed, self.backlog.isEmpty else { return .none }
        switch self.state {
        case .idle, .receiving:
            self.state = .closed
            return .closeAfterLastReply
        case .processing, .rejecting, .closed, .modifying:
            return .none
        }
    }

    // MARK: Timeouts

    /// Sets the connection's deadline. One scheduled check per connection: it fires at most
    /// `min(idleTimeout, readTimeout)` after it was scheduled, and every deadline set later is at least that far
    /// out, so moving the deadline never needs a reschedule (no timer allocation per request).
    private mutating func arm(_ newDeadline: NIODeadline, now: NIODeadline) -> TimerAction {
        self.deadline = newDeadline
        guard !self.isCheckScheduled else { return .none }
        return self.scheduleCheck(now: now)
    }

    private mutating func scheduleCheck(now: NIODeadline) -> TimerAction {
        guard let deadline = self.deadline else { return .none }
        self.isCheckScheduled = true
        return .scheduleCheck(at: min(deadline, now + min(self.idleTimeout, self.readTimeout)))
    }

    /// The scheduled deadline check ran.
    package mutating func timerFired(now: NIODeadline) -> TimerAction {
        self.isCheckScheduled = false
        guard let deadline = self.deadline else { return .none }
        switch self.state {
        case .idle, .receiving:
            guard deadline <= now else { return self.scheduleCheck(now: now) }
            self.state = .closed
            return .close
        case .processing, .rejecting, .closed, .modifying:
            return .none
        }
    }
}
