import GrestContext
public import GrestMiddleware
public import GrestSchema
public import GrestWebSocketTransport
import WebSocketCompression

/// How a typed client connects.
public struct SocketClientConfiguration: Sendable {
    /// RFC 6455 limits, backpressure and compression. permessage-deflate is offered by default; the client
    /// never requires it (grest-ts servers decline it).
    public var transport: WebSocketConfiguration
    /// Request timeout (default 30 s), in-flight bounds, heartbeat.
    public var peer: SocketPeerConfiguration = SocketPeerConfiguration()
    /// How long to wait for `k` or `x` (grest-ts: 5 s).
    public var handshakeTimeout: Duration = .seconds(5)
    /// Reconnect after a drop with exponential backoff and jitter; `nil` turns it off. The first connect is
    /// never retried, nor are refusals (`x`, 4000, 4001) and NOT_AUTHORIZED / FORBIDDEN / VALIDATION_ERROR.
    public var reconnect: ReconnectPolicy? = ReconnectPolicy()
    /// Extra middleware, run before the schema's own when building handshake headers.
    public var middleware: [any TransportMiddleware] = []
    /// How long `disconnect()` waits for requests in flight (grest-ts: 5 s).
    public var drainTimeout: Duration = .seconds(5)
    /// Share one socket with every other client of this pool that dials the same URL with the same handshake
    /// headers; `nil` (the default) gives this client a dedicated socket.
    public var pool: SocketClientPool? = nil
    /// Asked before every dial (the first connect and each reconnect) for the origin to dial instead of the URL
    /// given to `createClient` (the schema's path and query are appended). GrestDiscovery's
    /// `createClient(discovery:)` sets it, so a client that reconnects moves to a live replica. A lookup that
    /// throws fails that attempt as a transport error (retried by `reconnect`).
    public var originLookup: (@Sendable () async throws -> String)? = nil

    public init() {
        var transport = WebSocketConfiguration()
        transport.compression = PerMessageDeflate()
        self.transport = transport
    }
}

/// Why a client's socket went away (grest-ts `onDisconnect` / `onClose` reasons).
public enum SocketDisconnectReason: String, Sendable, Equatable {
    /// `disconnect()` or `close()`.
    case manual
    /// The socket dropped (it may reconnect).
    case drop
    case retriesExhausted = "retries-exhausted"
    /// A reconnect attempt failed in a way that must not be retried (refusal, auth, `shouldRetry`).
    case unrecoverable
}

extension WebSocketSchema {
    /// A typed client for this socket API (grest-ts `Api.createClient({ url, query })`), not yet connected.
    ///
    /// ```swift
    /// let client = ChatSocket.createClient(url: "ws://127.0.0.1:8080")
    /// try client.incoming.on(ChatApi.newMessage) { message in print(message.text) }
    /// try await client.connect()
    /// let reply = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "hi", channelId: "general"))
    /// await client.disconnect()
    /// ```
    /// - Parameter url: `ws://host:port` (the schema's path is appended) or a URL that already ends with it.
    public func createClient(url: String, query: Query, configuration: SocketClientConfiguration = SocketClientConfiguration()) -> SocketClient<Query> {
        SocketClient(schema: self, url: url, query: query, configuration: configuration)
    }
}

extension WebSocketSchema where Query == Void {
    /// A typed client for a socket API without a connect query.
    public func createClient(url: String, configuration: SocketClientConfiguration = SocketClientConfiguration()) -> SocketClient<Void> {
        SocketClient(schema: self, url: url, query: (), configuration: configuration)
    }
}

/// The typed client of one socket API: `incoming` for server pushes, `outgoing` for calls, lifecycle, reconnect.
///
/// Handlers and lifecycle callbacks may be registered before ``connect()``; handlers stay registered across
/// reconnects. `outgoing` calls before `connect()` or after the final close fail with SERVER_ERROR.
///
/// A dedicated client is three pieces: `SocketConnectionDriver` dials, handshakes and serves one socket; one
/// reconnect loop (`SocketClient+Reconnect.swift`) runs `ReconnectMachine` between sockets; this class owns the
/// state both share, under one lock. A pooled client instead holds a `PooledSocketHandle` on a shared dedicated one.
public final class SocketClient<Query: Sendable>: Sendable, PooledSocketClient {
    public let schema: WebSocketSchema<Query>
    public let configuration: SocketClientConfiguration
    /// The URL dialled, with path and query.
    public let url: String
    /// The URL as given to `createClient`.
    let baseURL: String
    /// Register handlers for `serverToClient` methods.
    public let incoming: SocketIncoming
    /// Call `clientToServer` methods.
    public let outgoing: SocketOutgoing
    private let query: Query
    let driver: SocketConnectionDriver<Query>
    let state: LockedState<State>

    struct State: Sendable {
        var machine: ReconnectMachine<SystemRandomNumberGenerator>
        /// This client's handlers, applied to every socket it opens (and to the shared one when pooled).
        var handlers: SocketHandlerTable
        /// The socket being served; `nil` between sockets and once stopped.
        var peer: SocketPeer?
        var callbacks = LifecycleCallbacks()
        /// The context `connect()` ran in: every connection's context is a child of it.
        var context: Context?
        /// The reconnect loop, from the first successful connect until it ends.
        var loop: Task<Void, Never>?
        /// Pooled clients: the handle on the shared socket, while attached.
        var pooled: PooledSocketHandle<Query>?

        var isStopped: Bool {
            if case .stopped = machine.state { return true }
            return false
        }
    }

    /// The four grest-ts callback lists, plus internal hooks run (awaited) when the client stops for good.
    struct LifecycleCallbacks: Sendable {
        var onClose: [@Sendable (SocketDisconnectReason) -> Void] = []
        var onDisconnect: [@Sendable (SocketDisconnectReason) -> Void] = []
        var onError: [@Sendable (ServiceError) -> Void] = []
        var onConnect: [@Sendable () -> Void] = []
        var whenStopped: [@Sendable () async -> Void] = []
        /// The stop hooks have been taken to run; later ones run at once.
        var hasStopped = false
        var isStopReported = false
    }

    init(schema: WebSocketSchema<Query>, url: String, query: Query, configuration: SocketClientConfiguration) {
        self.schema = schema
        self.configuration = configuration
        self.query = query
        self.baseURL = url
        self.url = Self.buildURL(url, path: schema.path, query: schema.encodeQuery(query))
        self.driver = SocketConnectionDriver(schema: schema, query: query, url: self.url, configuration: configuration)
        let contract = schema.contract
        let state = LockedState(
            State(
                machine: ReconnectMachine(policy: configuration.reconnect),
                handlers: SocketHandlerTable(contract: contract, receiving: .serverToClient)))
        self.state = state
        self.incoming = SocketIncoming(update: { registration throws(SocketRegistrationError) in
            try state.withLock { (state) throws(SocketRegistrationError) in
                // Own table first (it holds what every socket gets), then the shared and the live socket, which mirror it.
                var handlers = state.handlers
                try registration(&handlers)
                try state.pooled?.core.incoming.update(registration)
                try state.peer?.register(registration)
                state.handlers = handlers
            }
        })
        self.outgoing = SocketOutgoing(
            peer: { () throws(ServiceError) in
                guard let peer = state.withLock({ $0.pooled?.core.currentPeer ?? $0.peer }), !peer.isClosed else {
                    throw SERVER_ERROR(displayMessage: "Socket is not connected")
                }
                return peer
            }, contract: contract, direction: .clientToServer)
    }

    // MARK: Lifecycle callbacks

    /// Called once when the client stops for good: `manual`, `drop` (reconnect off), `retries-exhausted`, `unrecoverable`.
    public func onClose(_ callback: @escaping @Sendable (SocketDisconnectReason) -> Void) {
        state.withLock { $0.callbacks.onClose.append(callback) }
    }

    /// Called on every drop (`drop`) and on the manual close (`manual`), before any retry.
    public func onDisconnect(_ callback: @escaping @Sendable (SocketDisconnectReason) -> Void) {
        state.withLock { $0.callbacks.onDisconnect.append(callback) }
    }

    /// Transport errors and failed reconnect attempts.
    public func onError(_ callback: @escaping @Sendable (ServiceError) -> Void) {
        state.withLock { $0.callbacks.onError.append(callback) }
    }

    /// Called after every successful connect and reconnect.
    public func onConnect(_ callback: @escaping @Sendable () -> Void) {
        state.withLock { $0.callbacks.onConnect.append(callback) }
    }

    /// Runs `hook` once the client has stopped for good, before `onClose` is reported; at once if it already has.
    func whenStopped(_ hook: @escaping @Sendable () async -> Void) async {
        let runNow = state.withLock { state in
            if !state.callbacks.hasStopped { state.callbacks.whenStopped.append(hook) }
            return state.callbacks.hasStopped
        }
        if runNow { await hook() }
    }

    /// Whether a socket is established now.
    public var isConnected: Bool {
        currentPeer.map { !$0.isClosed } ?? false
    }

    var currentPeer: SocketPeer? {
        state.withLock { $0.pooled?.core.currentPeer ?? $0.peer }
    }

    /// A pooled client detaching takes its handlers away.
    func removeHandlers(routes: Set<String>) {
        let peer = state.withLock { state in
            state.handlers.remove(routes: routes)
            return state.peer
        }
        peer?.removeHandlers(routes: routes)
    }

    // MARK: Connect

    /// Opens the socket and runs the handshake. The first connect is never retried: its error is thrown
    /// (NOT_AUTHORIZED / FORBIDDEN / the `x` error, VALIDATION_ERROR for a refused query, SERVER_ERROR otherwise).
    public func connect() async throws(ServiceError) {
        let action = state.withLock { state in
            state.context = Context.current
            return state.machine.connectRequested()
        }
        guard action == .connect else {
            throw SERVER_ERROR(displayMessage: "Socket client cannot connect again", debugMessage: "state \(state.withLock { $0.machine.state })")
        }
        if let pool = configuration.pool { return try await attach(to: pool) }
        // The first dial runs in the caller's task: cancelling `connect()` cancels it.
        switch await open() {
        case .success(let (socket, peer)):
            notifyConnected()
            // `connect()` returns while the socket lives on, and the public API has no `run()` a caller's task
            // group could own: this task is the client's one unstructured task; `disconnect()`/`close()` end and await it.
            let loop = Task { await SocketClientLoop.$owner.withValue(ObjectIdentifier(self)) { await self.run(socket, peer) } }
            let stoppedMeanwhile = state.withLock { state in
                state.loop = loop
                return state.isStopped
            }
            // `disconnect()` raced this `connect()` and found no loop to end: it ends here (its socket is closing).
            if stoppedMeanwhile {
                loop.cancel()
                await loop.value
            }
        case .failure(let error):
            state.withLock { state in
                _ = state.machine.connectFailed(error)
                // The caller gets the error; `onClose` is not called for a client that never connected.
                state.callbacks.hasStopped = true
                state.callbacks.isStopReported = true
            }
            throw error.serviceError
        }
    }

    /// Graceful: stops reconnecting, waits (bounded by ``SocketClientConfiguration/drainTimeout``) for requests in
    /// flight, then closes.
    public func disconnect() async {
        await stop(graceful: true)
    }

    /// Immediate: stops reconnecting and closes; requests in flight resolve with SERVER_ERROR.
    public func close() async {
        await stop(graceful: false)
    }

    /// Closes the socket as if it had dropped, so the reconnect loop opens a new one (re-running the handshake).
    /// Does nothing when reconnect is off or the client is not connected.
    public func forceReconnect() {
        if let core = state.withLock({ $0.pooled?.core }) { return core.forceReconnect() }
        guard configuration.reconnect != nil, let peer = state.withLock({ $0.peer }) else { return }
        peer.transport.abort()
    }

    private func stop(graceful: Bool) async {
        if configuration.pool != nil { return await detach() }
        let (action, peer, loop) = state.withLock { state in
            let action = state.machine.closeRequested()
            let peer = state.peer
            // Disconnected from the caller's point of view at once; the socket finishes closing below.
            state.peer = nil
            return (action, peer, state.loop)
        }
        guard case .stop(let reason) = action else { return }
        if let peer {
            if graceful { await peer.drain(timeout: configuration.drainTimeout) }
            if graceful { await peer.close() } else { peer.transport.abort() }
        }
        // Wakes a backoff or aborts a dial at once; handlers still running for the closed socket are cancelled.
        loop?.cancel()
        // A handler of this client calling `disconnect()` runs inside the loop: waiting for the loop would wait for itself.
        if SocketClientLoop.owner != ObjectIdentifier(self) { await loop?.value }
        await finish(disconnect: peer != nil ? .manual : nil, close: Self.reason(reason))
    }

    // MARK: Pooling

    /// Joins (or opens) the shared socket for this URL and these handshake headers.
    private func attach(to pool: SocketClientPool) async throws(ServiceError) {
        let pooled: PooledSocketHandle<Query>
        do {
            let key = SocketPoolKey(url: url, headers: try await driver.handshakeHeaders(), group: schema.contract.name)
            var dedicated = configuration
            dedicated.pool = nil
            let (schema, baseURL, query, coreConfiguration) = (self.schema, self.baseURL, self.query, dedicated)
            pooled = try await PooledSocketHandle.attach(to: pool, key: key, handlers: state.withLock { $0.handlers }) {
                let core = SocketClient(schema: schema, url: baseURL, query: query, configuration: coreConfiguration)
                try await core.connect()
                return core
            }
        } catch {
            _ = state.withLock { $0.machine.connectFailed(error) }
            throw ServiceError.fromUnknown(error)
        }
        state.withLock { state in
            state.pooled = pooled
            _ = state.machine.connectSucceeded()
        }
        // Lifecycle of the shared socket, reported to this client while it is attached.
        let core = pooled.core
        core.onConnect { [weak self] in self?.forwardIfAttached { self?.notifyConnected() } }
        core.onDisconnect { [weak self] reason in self?.forwardIfAttached { self?.emit(disconnect: reason, close: nil) } }
        core.onClose { [weak self] reason in self?.forwardIfAttached { self?.emit(disconnect: nil, close: reason) } }
        notifyConnected()
    }

    private func forwardIfAttached(_ body: () -> Void) {
        if !state.withLock({ $0.isStopped }) { body() }
    }

    private func detach() async {
        let (action, pooled, routes) = state.withLock { state in
            let action = state.machine.closeRequested()
            let pooled = state.pooled
            state.pooled = nil
            return (action, pooled, state.handlers.registeredRoutes)
        }
        guard case .stop(let reason) = action else { return }
        await pooled?.release(routes: routes)
        await finish(disconnect: pooled != nil ? .manual : nil, close: Self.reason(reason))
    }

    // MARK: Reporting

    func notifyConnected() {
        for callback in state.withLock({ $0.callbacks.onConnect }) { callback() }
    }

    func notifyError(_ error: ServiceError) {
        for callback in state.withLock({ $0.callbacks.onError }) { callback(error) }
    }

    /// Reports a disconnect and/or the final close (`onClose` at most once), after running the stop hooks.
    func finish(disconnect: SocketDisconnectReason?, close: SocketDisconnectReason?) async {
        if close != nil {
            let hooks = state.withLock { state -> [@Sendable () async -> Void] in
                if state.callbacks.hasStopped { return [] }
                state.callbacks.hasStopped = true
                defer { state.callbacks.whenStopped = [] }
                return state.callbacks.whenStopped
            }
            for hook in hooks { await hook() }
        }
        emit(disconnect: disconnect, close: close)
    }

    /// Calls the `onDisconnect` and (at most once) the `onClose` callbacks.
    private func emit(disconnect: SocketDisconnectReason?, close: SocketDisconnectReason?) {
        let (disconnects, closes) = state.withLock { state in
            let closes: [@Sendable (SocketDisconnectReason) -> Void]
            if close != nil, !state.callbacks.isStopReported {
                state.callbacks.isStopReported = true
                closes = state.callbacks.onClose
            } else {
                closes = []
            }
            return (disconnect != nil ? state.callbacks.onDisconnect : [], closes)
        }
        if let disconnect { for callback in disconnects { callback(disconnect) } }
        if let close { for callback in closes { callback(close) } }
    }

    static func reason(_ reason: ReconnectMachine<SystemRandomNumberGenerator>.StopReason) -> SocketDisconnectReason {
        switch reason {
        case .manual: .manual
        case .drop, .firstConnectFailed: .drop
        case .retriesExhausted: .retriesExhausted
        case .unrecoverable: .unrecoverable
        }
    }

    static func buildURL(_ base: String, path: String, query: [(name: String, value: String)]) -> String {
        var url = base
        while url.hasSuffix("/") { url.removeLast() }
        if !url.hasSuffix(path) { url += path }
        guard !query.isEmpty else { return url }
        let encoded = query.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + encoded
    }

    private static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return result
    }
}

