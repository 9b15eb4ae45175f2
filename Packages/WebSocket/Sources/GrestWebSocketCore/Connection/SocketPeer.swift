package import GrestContext
package import GrestSchema
package import GrestWebSocketTransport
public import Logging
package import NIOCore
import Synchronization
import CoreMetrics

/// Which frames a socket logs (grest-ts client `logMode`): none, only failures (error replies, refused and dropped
/// frames), or every frame, at `.debug` on ``SocketPeerConfiguration/logger``.
public enum SocketWireLog: Sendable, Equatable {
    case off
    case nonOK
    case all
}

/// Settings shared by both ends of a typed socket.
public struct SocketPeerConfiguration: Sendable {
    /// Default wait for an `s` (grest-ts: 30 s); each call can override it.
    public var requestTimeout: Duration = .seconds(30)
    /// Outbound requests in flight at once; one more fails with SERVER_ERROR without being sent.
    public var maxInFlightRequests: Int = 1024
    /// Inbound handlers running at once; one more `r` gets SERVER_ERROR, one more `m` is dropped.
    public var maxConcurrentHandlers: Int = 256
    /// Liveness: RFC 6455 pings by the transport (``Heartbeat/Configuration/usesProtocolPing``) or app-level
    /// `p:::` for peers without protocol ping; `nil` turns it off. `p:::` from the peer is always answered.
    public var heartbeat: Heartbeat.Configuration? = Heartbeat.Configuration()
    /// Bounds on PATH and ID of inbound frames.
    public var frameLimits: SocketFrameCodec.Limits = SocketFrameCodec.Limits()
    /// Frame logging; off by default.
    public var wireLog: SocketWireLog = .off
    /// Where the wire log and connection events go.
    public var logger: Logger = Logger(label: "grest.ws")

    public init() {}

    /// The heartbeat this layer runs itself (`p:::`), when not left to the transport's protocol pings.
    package var appHeartbeat: Heartbeat.Configuration? {
        heartbeat.flatMap { $0.usesProtocolPing ? nil : $0 }
    }

    /// `base` with the transport's automatic ping set from ``heartbeat`` when it uses protocol pings.
    package func transportConfiguration(_ base: WebSocketConfiguration) -> WebSocketConfiguration {
        var configuration = base
        if let beat = heartbeat, beat.usesProtocolPing {
            configuration.autoPing = WebSocketConfiguration.AutoPing(interval: TimeAmount(beat.interval), timeout: TimeAmount(beat.timeout))
        }
        return configuration
    }
}

/// The engine of one established typed socket, on either side: routes inbound frames to the dispatcher
/// (`r`/`m`), the pending table (`s`) and the heartbeat (`p`/`o`), sends typed calls, and ends everything
/// when the socket closes.
///
/// State has one owner: a `Mutex` around plain value machines (``PendingRequests``, ``InboundDispatcher``,
/// ``Heartbeat``); nothing awaits while holding it. Timers are NIO scheduled tasks on the socket's event loop.
package final class SocketPeer: Sendable {
    package typealias Waiter = EventLoopPromise<Result<SocketFrame, ServiceError>>

    struct State: Sendable {
        var pending: PendingRequests<Waiter>
        var dispatcher: InboundDispatcher
        var heartbeat: Heartbeat?
        var closeCallbacks: [@Sendable () async -> Void] = []
        var isClosed = false
        var requestTimer: (deadline: ContinuousClock.Instant, task: Scheduled<Void>)?
        var heartbeatTask: RepeatedTask?
        /// The heartbeat timer's sends, performed by a child of ``run(_:)``; finished when the read loop ends.
        var heartbeatSends: AsyncStream<Heartbeat.Action>.Continuation?
        /// Server side, until `k` has gone out: frames sent meanwhile (a push from the connection handler, or from a
        /// task it started), in order. The client drops every frame before `k` (PROTOCOL-NOTES, handshake rule 1).
        var heldUntilAccept: [ByteBuffer]?
        /// ``drain(timeout:)``'s wait, resumed when the last request of this side resolves or the connection ends.
        var drainWaiter: CheckedContinuation<Void, Never>?

        /// The drain waiter, taken, once nothing is pending any more.
        mutating func takeDrainWaiterIfIdle() -> CheckedContinuation<Void, Never>? {
            guard drainWaiter != nil, pending.isEmpty || isClosed else { return nil }
            defer { drainWaiter = nil }
            return drainWaiter
        }
    }

    package let transport: WebSocketConnection
    package let contract: SocketContract
    /// The direction this side sends.
    package let sending: SocketDirection
    /// The connection's context; handlers run in children of it.
    package let context: Context
    package let metrics: SocketMetrics?
    package let configuration: SocketPeerConfiguration
    /// Whether this layer keeps time for `p:::` heartbeats (read on every inbound frame, so worked out once).
    private let usesAppHeartbeat: Bool
    private let codec: SocketFrameCodec
    private let state: Mutex<State>

    package init(
        transport: WebSocketConnection, contract: SocketContract, receiving: SocketDirection, table: SocketHandlerTable,
        gate: ConnectionScopes, context: Context, metrics: SocketMetrics?, configuration: SocketPeerConfiguration,
        holdsFramesUntilAccept: Bool = false
    ) {
        self.transport = transport
        self.contract = contract
        self.sending = receiving == .clientToServer ? .serverToClient : .clientToServer
        self.context = context
        // Metrics that record nothing are dropped here, so the per-message path skips them with one `nil` check.
        self.metrics = metrics?.isRecording == true ? metrics : nil
        self.configuration = configuration
        self.usesAppHeartbeat = configuration.appHeartbeat != nil
        self.codec = SocketFrameCodec(limits: configuration.frameLimits)
        let heartbeat = configuration.appHeartbeat.map { Heartbeat(configuration: $0, now: .now) }
        self.state = Mutex(
            State(
                pending: PendingRequests(timeout: configuration.requestTimeout, maxInFlight: configuration.maxInFlightRequests),
                dispatcher: InboundDispatcher(table: table, gate: gate, maxConcurrent: configuration.maxConcurrentHandlers),
                heartbeat: heartbeat, heldUntilAccept: holdsFramesUntilAccept ? [] : nil))
    }

    package var eventLoop: any EventLoop { transport.channel.eventLoop }


    package var isClosed: Bool { state.withLock { $0.isClosed } }

    // MARK: Handlers

    package func register(_ update: (inout SocketHandlerTable) throws(SocketRegistrationError) -> Void) throws(SocketRegistrationError) {
        try state.withLock { (state) throws(SocketRegistrationError) in try state.dispatcher.updateTable(update) }
    }

    package func removeHandlers(routes: Set<String>) {
        state.withLock { state in
            try? state.dispatcher.updateTable { table in table.remove(routes: routes) }
        }
    }

    /// Runs `callback` (in the connection's context) when the socket closes; at once when it already has.
    package func onClose(_ callback: @escaping @Sendable () async -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.isClosed { return true }
            state.closeCallbacks.append(callback)
            return false
        }
        // `onClose` is synchronous (grest-ts API) and the socket already ended: no task of this peer is left to own it.
        if runNow { Task { await self.context.run { await callback() } } }
    }

    // MARK: Reading

    /// Serves inbound frames until the socket closes, running handlers concurrently, then ends the peer.
    /// Call it inside ``context`` (handlers inherit it).
    nonisolated(nonsending) package func run(_ iterator: inout WebSocketInboundStream.AsyncIterator) async {
        await withDiscardingTaskGroup { group in
            if let sends = startHeartbeat() {
                group.addTask { for await action in sends { await self.perform(action) } }
            }
            defer { state.withLock { $0.heartbeatSends?.finish() } }
            while let message = await iterator.next() {
                // Every typed frame is text; binary frames are dropped (grest-ts browsers do the same).
                guard case .text(let text) = message else { continue }
                guard case .frame(let frame) = codec.decode(text) else {
                    log("dropped", text.utf8, nonOK: true)
                    continue
                }
                if configuration.wireLog != .off { log("incoming", text.utf8, nonOK: Self.isErrorReply(text.utf8)) }
                await received(frame, group: &group)
            }
        }
        await connectionEnded()
    }

    nonisolated(nonsending) private func received(_ frame: SocketFrame, group: inout DiscardingTaskGroup) async {
        // Only app-level heartbeats keep time here; protocol pings are the transport's (any frame counts there).
        if usesAppHeartbeat { state.withLock { _ = $0.heartbeat?.frameReceived(kind: frame.kind, now: .now) } }
        switch frame.kind {
        case .request, .message:
            let action = state.withLock { $0.dispatcher.frameReceived(frame) }
            switch action {
            case .reply(let reply, let error):
                metrics?.inbound(route: frame.path, result: error.type, nanoseconds: nil)
                await sendQuietly(reply)
            case .run(let call):
                // The handler starts on this task's thread, before the next frame is read, and leaves it at its first
                // suspension: a handler that finishes without suspending costs no enqueue and no wake-up.
                if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
                    group.addImmediateTask { await self.runCall(call) }
                } else {
                    group.addTask { await self.runCall(call) }
                }
            case .drop(let reason):
                switch reason {
                case .unknownRoute: metrics?.inbound(route: "unknown", result: "ROUTE_NOT_FOUND", nanoseconds: nil)
                case .permissionDenied(let route, let type): metrics?.inbound(route: route, result: type, nanoseconds: nil)
                case .noHandler(let route), .overloaded(let route): metrics?.inbound(route: route, result: "SERVER_ERROR", nanoseconds: nil)
                case .notInbound: break
                }
            }
        case .response:
            let (action, drained) = state.withLock { state in (state.pending.responseReceived(frame), state.takeDrainWaiterIfIdle()) }
            if case .resolve(let waiter, _) = action { waiter.succeed(.success(frame)) }
            drained?.resume()
        case .ping:
            await sendQuietly(ByteBuffer(bytes: SocketFrameCodec.pong))
        case .pong, .handshake, .handshakeAccepted, .handshakeRejected:
            break
        }
    }

    nonisolated(nonsending) private func runCall(_ call: InboundCall) async {
        // Read the clock only for the metrics that use it.
        let started = metrics == nil ? nil : ContinuousClock.now
        // The read loop runs inside the connection's context, so this task inherits it: one child per message.
        let (reply, error) = await Context.run(name: "ws-message") {
            try? SocketMessageInfo.key.set(SocketMessageInfo(path: call.route))
            return await call.execute()
        }
        state.withLock { $0.dispatcher.callFinished() }
        if let metrics, let started {
            metrics.inbound(route: call.route, result: error?.type ?? "OK", nanoseconds: (ContinuousClock.now - started).nanoseconds)
        }
        if let reply { await sendQuietly(reply) }
    }

    // MARK: Sending

    /// Sends `r` and waits for its `s` (or the timeout, or the close).
    package func request(route: String, payload: [UInt8], timeout: Duration?) async -> Result<SocketFrame, ServiceError> {
        let waiter = eventLoop.makePromise(of: Result<SocketFrame, ServiceError>.self)
        let now = ContinuousClock.now
        let action = state.withLock { state in
            let action = state.pending.start(path: route, now: now, timeout: timeout, waiter: waiter)
            if case .send = action { armRequestTimer(&state, deadline: now + (timeout ?? state.pending.timeout)) }
            return action
        }
        switch action {
        case .fail(let waiter, let error):
            waiter.succeed(.failure(error))
        case .send(let id):
            do {
                try await send(SocketFrameCodec.encodeBuffer(.request, path: route, id: String(id), payload: payload))
            } catch {
                let (waiter, drained) = state.withLock { state in (state.pending.cancel(id: id), state.takeDrainWaiterIfIdle()) }
                waiter?.succeed(.failure(PendingRequests<Waiter>.closedError()))
                drained?.resume()
            }
        }
        // The waiter is always fulfilled: by the reply, the timer, the close, or above.
        return (try? await waiter.futureResult.get()) ?? .failure(PendingRequests<Waiter>.closedError())
    }

    /// Sends `m`; returns once the transport has taken it.
    package func message(route: String, payload: [UInt8]) async throws(ServiceError) {
        guard !isClosed else { throw PendingRequests<Waiter>.closedError() }
        do {
            try await send(SocketFrameCodec.encodeBuffer(.message, path: route, payload: payload))
        } catch WebSocketError.outboundQueueFull {
            throw SERVER_ERROR(displayMessage: "Socket send queue is full")
        } catch {
            throw PendingRequests<Waiter>.closedError()
        }
    }

    /// Sends an encoded `m` frame (a broadcast push, one buffer shared by every subscriber, valid UTF-8: see
    /// `SocketBroadcast.frame(of:isEncodedHere:)`) as trusted text; throws the transport's error, such as a full send queue.
    package func push(_ frame: ByteBuffer) async throws {
        guard !isClosed else { throw WebSocketError.connectionClosed }
        try await send(frame)
    }

    /// Sends a frame this peer wrote into a buffer itself (trusted UTF-8); failures mean the socket is going away,
    /// which the read loop notices.
    nonisolated(nonsending) package func sendQuietly(_ frame: ByteBuffer) async {
        try? await send(frame)
    }

    /// Sends the handshake's `k` (`ServerHandshake`'s acceptance, the codec constant `k:::null`, so trusted text), then the
    /// frames held since the peer was made, in order; from then on frames go straight out. Frames sent while the held
    /// ones are flushed join the queue, so none overtakes another.
    package func accept(_ frame: [UInt8]) async {
        try? await write(ByteBuffer(bytes: frame))
        while true {
            let batch = state.withLock { state -> [ByteBuffer] in
                let batch = state.heldUntilAccept ?? []
                state.heldUntilAccept = batch.isEmpty ? nil : []
                return batch
            }
            if batch.isEmpty { return }
            for bytes in batch { try? await write(bytes) }
        }
    }

    nonisolated(nonsending) private func send(_ bytes: ByteBuffer) async throws {
        let isHeld = state.withLock { state in
            guard state.heldUntilAccept != nil else { return false }
            state.heldUntilAccept?.append(bytes)
            return true
        }
        if !isHeld { try await write(bytes) }
    }

    /// Hands the frame to the transport as text without a second validation: the frames made here are written by
    /// ``SocketFrameCodec`` from Strings and `JSONWriter` output, the others went through
    /// ``SocketFrameCodec/repairedBuffer(_:)`` (broadcast pushes: see `SocketBroadcast.frame(of:isEncodedHere:)`).
    nonisolated(nonsending) private func write(_ frame: ByteBuffer) async throws {
        if configuration.wireLog != .off { log("outgoing", frame.readableBytesView, nonOK: Self.isErrorReply(frame.readableBytesView)) }
        try await transport.send(trustedText: frame)
    }

    private func log(_ direction: String, _ frame: some Collection<UInt8>, nonOK: Bool) {
        switch configuration.wireLog {
        case .off: return
        case .nonOK where !nonOK: return
        case .nonOK, .all: break
        }
        let shown = String(decoding: frame.prefix(512), as: UTF8.self) + (frame.count > 512 ? "…" : "")
        configuration.logger.debug("\(direction) \(shown)", metadata: ["ws.api": .string(contract.name)])
    }

    /// An `s` whose body starts with `{"success":false` (the envelope grest writes).
    package static func isErrorReply(_ frame: some Collection<UInt8>) -> Bool {
        guard frame.first == UInt8(ascii: "s") else { return false }
        var colons = 0
        var index = frame.startIndex
        while index != frame.endIndex, colons < 3 {
            if frame[index] == UInt8(ascii: ":") { colons += 1 }
            index = frame.index(after: index)
        }
        return frame[index...].starts(with: #"{"success":false"#.utf8)
    }

    private func armRequestTimer(_ state: inout State, deadline: ContinuousClock.Instant) {
        if let armed = state.requestTimer, armed.deadline <= deadline { return }
        state.requestTimer?.task.cancel()
        let task = eventLoop.scheduleTask(in: TimeAmount(deadline - .now)) { [self] in requestTimerFired() }
        state.requestTimer = (deadline, task)
    }

    private func requestTimerFired() {
        let (expired, drained) = state.withLock { state in
            state.requestTimer = nil
            let expired = state.pending.expire(now: .now)
            if !state.isClosed, let next = state.pending.nextDeadline { armRequestTimer(&state, deadline: next) }
            return (expired, state.takeDrainWaiterIfIdle())
        }
        for (waiter, error) in expired { waiter.succeed(.failure(error)) }
        drained?.resume()
    }

    // MARK: Liveness

    /// Starts the app-level heartbeat timer; returns the sends it asks for, which the caller performs.
    private func startHeartbeat() -> AsyncStream<Heartbeat.Action>? {
        guard let beat = configuration.appHeartbeat else { return nil }
        // A tick that finds the previous send still queued replaces it: only the latest ping or pong matters.
        let (sends, continuation) = AsyncStream.makeStream(of: Heartbeat.Action.self, bufferingPolicy: .bufferingNewest(1))
        let delay = TimeAmount(min(beat.interval, beat.timeout))
        let task = eventLoop.scheduleRepeatedTask(initialDelay: delay, delay: delay) { [self] _ in heartbeatTick() }
        state.withLock { state in
            state.heartbeatSends = continuation
            if state.isClosed { task.cancel() } else { state.heartbeatTask = task }
        }
        return sends
    }

    private func heartbeatTick() {
        let action = state.withLock { state -> Heartbeat.Action in
            guard var heartbeat = state.heartbeat else { return .none }
            let action = heartbeat.tick(now: .now)
            state.heartbeat = heartbeat
            return action
        }
        switch action {
        case .sendAppPing, .sendAppPong, .sendProtocolPing:
            state.withLock { _ = $0.heartbeatSends?.yield(action) }
        case .peerDead:
            metrics?.heartbeatTimeouts.increment()
            // Destroy, do not close-handshake: a dead peer would never answer the close frame.
            transport.abort()
        case .none:
            break
        }
    }

    /// A heartbeat send, in ``run(_:)``'s task group so none outlives the connection.
    private func perform(_ action: Heartbeat.Action) async {
        switch action {
        // `p:::` and `o:::`, constants of the codec: trusted text.
        case .sendAppPing(let bytes), .sendAppPong(let bytes): await sendQuietly(ByteBuffer(bytes: bytes))
        case .sendProtocolPing: try? await transport.ping()
        case .peerDead, .none: break
        }
    }

    // MARK: Closing

    /// Closes the socket with a close handshake; pending requests resolve with "Socket connection closed!".
    package func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async {
        _ = try? await transport.close(code: code, reason: reason)
    }

    /// Waits (up to `timeout`) until no request of this side is in flight.
    package func drain(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilIdle() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once no request of this side is pending or the connection ended (or the task is cancelled); new
    /// requests are refused from now on.
    private func waitUntilIdle() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let idleNow = state.withLock { state in
                    state.pending.beginDraining()
                    if state.pending.isEmpty || state.isClosed || Task.isCancelled { return true }
                    state.drainWaiter?.resume()  // one drain at a time: an earlier waiter stops waiting
                    state.drainWaiter = continuation
                    return false
                }
                if idleNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.drainWaiter = nil }
                return state.drainWaiter
            }?.resume()
        }
    }

    private func connectionEnded() async {
        let (waiters, callbacks) = state.withLock { state in
            state.isClosed = true
            state.requestTimer?.task.cancel()
            state.requestTimer = nil
            state.heartbeatTask?.cancel()
            state.heartbeatTask = nil
            let callbacks = state.closeCallbacks
            state.closeCallbacks = []
            let waiters = state.pending.close()
            state.takeDrainWaiterIfIdle()?.resume()
            return (waiters, callbacks)
        }
        for (waiter, error) in waiters { waiter.succeed(.failure(error)) }
        let info = await transport.closeInfo
        if info.cause == .pingTimeout { metrics?.heartbeatTimeouts.increment() }
        await context.run {
            for callback in callbacks { await callback() }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(max(0, duration.nanoseconds))
    }
}
