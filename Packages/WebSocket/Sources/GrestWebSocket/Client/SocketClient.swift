import GrestContext
public import GrestHTTP
public import GrestSchema
public import GrestWebSocketTransport
import NIOCore
import NIOHTTP1
import Synchronization
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
    private let state: LockedState<State>

    private struct State: Sendable {
        var machine: ReconnectMachine<SystemRandomNumberGenerator>
        /// This client's handlers, applied to every socket it opens (and to the shared one when pooled).
        var handlers: SocketHandlerTable
        var peer: SocketPeer?
        var onClose: [@Sendable (SocketDisconnectReason) -> Void] = []
        var onDisconnect: [@Sendable (SocketDisconnectReason) -> Void] = []
        var onError: [@Sendable (ServiceError) -> Void] = []
        var onConnect: [@Sendable () -> Void] = []
        var context: Context?
        var retry: Task<Void, Never>?
        var stopReported = false
        /// Pooled clients: the shared client and this client's handle on it.
        var shared: (core: SocketClient<Query>, handle: SocketPoolHandle<PooledSocket>)?

        var isStopped: Bool {
            if case .stopped = machine.state { return true }
            return false
        }
    }

    init(schema: WebSocketSchema<Query>, url: String, query: Query, configuration: SocketClientConfiguration) {
        self.schema = schema
        self.configuration = configuration
        self.query = query
        self.baseURL = url
        self.url = Self.buildURL(url, path: schema.path, query: schema.encodeQuery(query))
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
                try state.shared?.core.incoming.update(registration)
                try state.peer?.register(registration)
                state.handlers = handlers
            }
        })
        self.outgoing = SocketOutgoing(
            peer: { () throws(ServiceError) in
                guard let peer = state.withLock({ $0.shared?.core.currentPeer ?? $0.peer }), !peer.isClosed else {
                    throw SERVER_ERROR(displayMessage: "Socket is not connected")
                }
                return peer
            }, contract: contract, direction: .clientToServer)
    }

    // MARK: Lifecycle callbacks

    /// Called once when the client stops for good: `manual`, `drop` (reconnect off), `retries-exhausted`, `unrecoverable`.
    public func onClose(_ callback: @escaping @Sendable (SocketDisconnectReason) -> Void) {
        state.withLock { $0.onClose.append(callback) }
    }

    /// Called on every drop (`drop`) and on the manual close (`manual`), before any retry.
    public func onDisconnect(_ callback: @escaping @Sendable (SocketDisconnectReason) -> Void) {
        state.withLock { $0.onDisconnect.append(callback) }
    }

    /// Transport errors and failed reconnect attempts.
    public func onError(_ callback: @escaping @Sendable (ServiceError) -> Void) {
        state.withLock { $0.onError.append(callback) }
    }

    /// Called after every successful connect and reconnect.
    public func onConnect(_ callback: @escaping @Sendable () -> Void) {
        state.withLock { $0.onConnect.append(callback) }
    }

    /// Whether a socket is established now.
    public var isConnected: Bool {
        currentPeer.map { !$0.isClosed } ?? false
    }

    var currentPeer: SocketPeer? {
        state.withLock { $0.shared?.core.currentPeer ?? $0.peer }
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
        switch await open() {
        case .success:
            state.withLock { _ = $0.machine.connectSucceeded() }
            notifyConnected()
        case .failure(let error):
            let stop = state.withLock { $0.machine.connectFailed(error) }
            if case .stop = stop { state.withLock { $0.stopReported = true } }
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
        if let core = state.withLock({ $0.shared?.core }) { return core.forceReconnect() }
        guard configuration.reconnect != nil, let peer = state.withLock({ $0.peer }) else { return }
        peer.transport.abort()
    }

    private func stop(graceful: Bool) async {
        if configuration.pool != nil { return await detach() }
        let (action, peer, retry) = state.withLock { state in
            let action = state.machine.closeRequested()
            let retry = state.retry
            state.retry = nil
            let peer = state.peer
            // Disconnected from the caller's point of view at once; the socket finishes closing below.
            state.peer = nil
            return (action, peer, retry)
        }
        retry?.cancel()
        guard case .stop(let reason) = action else { return }
        if let peer {
            if graceful { await peer.drain(timeout: configuration.drainTimeout) }
            if graceful { await peer.close() } else { peer.transport.abort() }
        }
        report(disconnect: peer != nil ? .manual : nil, close: Self.reason(reason))
    }

    // MARK: Pooling

    /// Joins (or opens) the shared socket for this URL and these handshake headers.
    private func attach(to pool: SocketClientPool) async throws(ServiceError) {
        let headers: [String: String]
        do {
            headers = try await handshakeHeaders()
        } catch {
            throw ServiceError.fromUnknown(error)
        }
        var dedicated = configuration
        dedicated.pool = nil
        let (schema, url, baseURL, query, coreConfiguration) = (self.schema, self.url, self.baseURL, self.query, dedicated)
        let handle: SocketPoolHandle<PooledSocket>
        do {
            handle = try await pool.pool.getOrCreate(key: SocketPoolKey(url: url, headers: headers, group: schema.contract.name)) {
                let core = SocketClient(schema: schema, url: baseURL, query: query, configuration: coreConfiguration)
                try await core.connect()
                return PooledSocket(client: core)
            }
        } catch {
            _ = state.withLock { $0.machine.connectFailed(error) }
            throw ServiceError.fromUnknown(error)
        }
        guard let core = handle.connection.client as? SocketClient<Query> else {
            await pool.pool.detach(handle)
            throw SERVER_ERROR(debugMessage: "Pooled socket for \(url) serves another query type")
        }
        let handlers = state.withLock { $0.handlers }
        do {
            // All or nothing: a clash with another pooled client's handler adds none of ours.
            try core.incoming.update { table throws(SocketRegistrationError) in try table.add(handlers) }
        } catch {
            await pool.pool.detach(handle)
            _ = state.withLock { $0.machine.connectFailed(error) }
            throw SERVER_ERROR(displayMessage: error.description)
        }
        state.withLock { state in
            state.shared = (core, handle)
            _ = state.machine.connectSucceeded()
        }
        // Lifecycle of the shared socket, reported to this client while it is attached.
        core.onConnect { [weak self] in self?.forwardIfAttached { self?.notifyConnected() } }
        core.onDisconnect { [weak self] reason in self?.forwardIfAttached { self?.report(disconnect: reason, close: nil) } }
        core.onClose { [weak self] reason in
            guard let self else { return }
            Task { await pool.pool.connectionEnded(handle) }
            self.forwardIfAttached { self.report(disconnect: nil, close: reason) }
        }
        notifyConnected()
    }

    private func forwardIfAttached(_ body: () -> Void) {
        if !state.withLock({ $0.isStopped }) { body() }
    }

    private func detach() async {
        let (action, shared) = state.withLock { state in
            let action = state.machine.closeRequested()
            let shared = state.shared
            state.shared = nil
            return (action, shared)
        }
        guard case .stop(let reason) = action else { return }
        if let (core, handle) = shared {
            core.removeHandlers(routes: state.withLock { $0.handlers.registeredRoutes })
            await configuration.pool?.pool.detach(handle)
        }
        report(disconnect: shared != nil ? .manual : nil, close: Self.reason(reason))
    }

    // MARK: Opening a socket

    /// Every middleware's `updateRequest` on a fresh handshake request; the headers travel in `h`.
    private func handshakeHeaders() async throws -> [String: String] {
        var request = OutboundRequest(transport: .webSocket, method: "GET", target: url)
        try await TransportMiddlewareChain.runClientSide(configuration.middleware + schema.middlewares, &request)
        var headers: [String: String] = [:]
        for header in request.headers { headers[header.name.lowercased()] = header.value }
        return headers
    }

    /// Dials, handshakes, and on success keeps serving the socket in a task of its own.
    private func open() async -> Result<Void, SocketConnectError> {
        let context = state.withLock { $0.context }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, SocketConnectError>, Never>) in
            Task {
                let connectionContext = Context(name: "ws-client", parent: context)
                await connectionContext.run {
                    try? SocketConnectionInfo.key.set(SocketConnectionInfo(port: nil, path: self.url))
                    await self.dialAndServe(connectionContext) { continuation.resume(returning: $0) }
                }
            }
        }
    }

    private func dialAndServe(_ context: Context, ready: (Result<Void, SocketConnectError>) -> Void) async {
        let headers: [String: String]
        do {
            headers = try await handshakeHeaders()
        } catch {
            return ready(.failure(.handshakeRejected(ServiceError.fromUnknown(error))))
        }

        var dialURL = url
        if let lookup = configuration.originLookup {
            do {
                dialURL = Self.buildURL(try await lookup(), path: schema.path, query: schema.encodeQuery(query))
            } catch {
                return ready(.failure(.transport("Service discovery failed for WebSocket API \(schema.name): \(error)")))
            }
        }
        let transportConfiguration = configuration.peer.transportConfiguration(configuration.transport)
        let transport: WebSocketConnection
        do {
            transport = try await WebSocketClient.connect(to: dialURL, configuration: transportConfiguration)
        } catch {
            return ready(.failure(.transport(String(describing: error))))
        }

        var handshake = ClientHandshake(timeout: configuration.handshakeTimeout)
        guard case .send(let hello) = handshake.start(headers: headers, now: .now) else { return ready(.failure(.transport("handshake"))) }
        let timedOut = Atomic<Bool>(false)
        let deadline = transport.channel.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            timedOut.store(true, ordering: .relaxed)
            transport.abort()
        }
        try? await transport.send(text: String(decoding: hello, as: UTF8.self))

        var iterator = transport.inbound.makeAsyncIterator()
        let codec = SocketFrameCodec(limits: configuration.peer.frameLimits)
        var outcome: ClientHandshake.Action = .none
        while let message = await iterator.next() {
            guard case .text(let text) = message, case .frame(let frame) = codec.decode(text) else { continue }
            outcome = handshake.frameReceived(frame)
            if case .established = outcome { break }
            if case .failed = outcome { break }
        }
        deadline.cancel()
        switch outcome {
        case .established:
            break
        case .failed(let error):
            transport.abort()
            return ready(.failure(error))
        default:
            let info = await transport.closeInfo
            if timedOut.load(ordering: .relaxed) { return ready(.failure(.handshakeTimeout)) }
            if case .failed(let error) = handshake.connectionClosed(code: info.code.rawValue, reason: info.reason) {
                return ready(.failure(error))
            }
            return ready(.failure(.transport("socket closed during handshake")))
        }

        // Established: the setup handlers go in before the first frame after `k` is read.
        let table = state.withLock { $0.handlers }
        let peer = SocketPeer(
            transport: transport, contract: schema.contract, receiving: .serverToClient, table: table, gate: ConnectionScopes(scopes: nil),
            context: context, metrics: nil, configuration: configuration.peer)
        let stillWanted = state.withLock { state -> Bool in
            if state.isStopped { return false }
            state.peer = peer
            return true
        }
        guard stillWanted else {
            // `disconnect()` raced the handshake: close the new socket on arrival.
            _ = try? await transport.close()
            return ready(.failure(.closedDuringHandshake(code: 1000, reason: "Client closed")))
        }
        ready(.success(()))
        await peer.run(&iterator)
        await peerEnded(peer)
    }

    // MARK: Drops and reconnects

    private func peerEnded(_ peer: SocketPeer) async {
        let action = state.withLock { state -> ReconnectMachine<SystemRandomNumberGenerator>.Action in
            guard state.peer === peer else { return .none }
            state.peer = nil
            return state.machine.connectionDropped()
        }
        switch action {
        case .scheduleRetry(let delay, _):
            report(disconnect: .drop, close: nil)
            scheduleRetry(after: delay)
        case .stop(let reason):
            report(disconnect: .drop, close: Self.reason(reason))
        default:
            break
        }
    }

    private func scheduleRetry(after delay: Duration) {
        let task = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self.retryNow()
        }
        state.withLock { $0.retry = task }
    }

    private func retryNow() async {
        guard case .reconnect = state.withLock({ $0.machine.retryTimerFired() }) else { return }
        switch await open() {
        case .success:
            state.withLock { _ = $0.machine.connectSucceeded() }
            notifyConnected()
        case .failure(let error):
            for callback in state.withLock({ $0.onError }) { callback(error.serviceError) }
            let action = state.withLock { $0.machine.connectFailed(error) }
            switch action {
            case .scheduleRetry(let delay, _): scheduleRetry(after: delay)
            case .stop(let reason): report(disconnect: nil, close: Self.reason(reason))
            default: break
            }
        }
    }

    private func notifyConnected() {
        for callback in state.withLock({ $0.onConnect }) { callback() }
    }

    private func report(disconnect: SocketDisconnectReason?, close: SocketDisconnectReason?) {
        let (disconnects, closes) = state.withLock { state in
            let closes: [@Sendable (SocketDisconnectReason) -> Void]
            if close != nil, !state.stopReported {
                state.stopReported = true
                closes = state.onClose
            } else {
                closes = []
            }
            return (disconnect != nil ? state.onDisconnect : [], closes)
        }
        if let disconnect { for callback in disconnects { callback(disconnect) } }
        if let close { for callback in closes { callback(close) } }
    }

    private static func reason(_ reason: ReconnectMachine<SystemRandomNumberGenerator>.StopReason) -> SocketDisconnectReason {
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

