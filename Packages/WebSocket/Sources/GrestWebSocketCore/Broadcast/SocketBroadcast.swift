public import CoreMetrics
public import GrestSchema
import GrestWebSocketTransport
import NIOCore
import Synchronization

/// One push published to a topic: what a ``BroadcastBackend`` carries between server instances.
///
/// `route` and `payload` are the wire path and DATA of an `m` frame (``SocketContract/route(of:)``, the method's
/// validated input JSON); `id` identifies the publication, so a backend that delivers at least once can be read
/// exactly once.
public struct BroadcastMessage: Sendable, Hashable {
    public var id: String
    public var topic: String
    public var route: String
    public var payload: [UInt8]
    /// Sockets subscribed to this topic are skipped (for example `user:alice`, to tell everyone but Alice).
    public var excluding: String?

    public init(id: String, topic: String, route: String, payload: [UInt8], excluding: String? = nil) {
        self.id = id
        self.topic = topic
        self.route = route
        self.payload = payload
        self.excluding = excluding
    }
}

/// Carries ``BroadcastMessage``s between the server instances that share a ``SocketBroadcast`` topic space.
///
/// A backend delivers every published message to every instance, the publishing one included, at least once;
/// ``SocketBroadcast`` drops repeats by ``BroadcastMessage/id``. Without a backend, a broadcast is in-process.
public protocol BroadcastBackend: Sendable {
    /// Hands `message` to the backend. Returns once it is accepted (durably, for a durable backend); throws when it
    /// could not be, and then no instance delivers it.
    func publish(_ message: BroadcastMessage) async throws
    /// Runs until cancelled, calling `deliver` with every message any instance publishes, in the order the backend
    /// accepted them. Reconnects by itself; throws only when it cannot go on.
    func run(deliver: @escaping @Sendable (BroadcastMessage) -> Void) async throws
}

/// Publishes typed server-to-client pushes to topics; every local socket subscribed to a topic gets them
/// (socket.io's rooms, for grest socket contracts).
///
/// ```swift
/// let broadcast = SocketBroadcast(contract: ChatApi.contract)         // in-process
/// broadcast.subscribe(socket, to: ["channel:general", "user:\(user)"])  // in the connection handler
/// try await broadcast.publish(ChatApi.newMessage, message, to: "channel:general")
/// ```
///
/// Each socket has its own ordered mailbox, drained by one task at a time, so a slow client never slows the
/// others or the publisher. A socket whose mailbox exceeds ``Limits/maxPendingMessages`` or
/// ``Limits/maxPendingBytes`` (or whose transport send queue is full) is closed with 1013 Try Again Later and
/// unsubscribed. Pass a ``BroadcastBackend`` (for example the PostgreSQL one of the examples) to fan out across
/// server instances, and run ``run()`` (a service) for as long as the server runs.
///
/// Metrics (prefix `grest_ws_`): `broadcast_published_total` {api, result: OK | FAILED},
/// `broadcast_deliveries_total` {api, result: OK | DROPPED_SLOW | CLOSED}, `broadcast_duplicates_total` {api}.
public final class SocketBroadcast: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Pushes waiting for one socket before it is closed as too slow.
        public var maxPendingMessages: Int = 4096
        /// Bytes of DATA waiting for one socket before it is closed as too slow.
        public var maxPendingBytes: Int = 8 << 20
        /// How many message ids are remembered to drop repeats from an at-least-once backend.
        public var deduplicationWindow: Int = 65_536

        public init() {}
    }

    public let contract: SocketContract
    public let limits: Limits
    private let backend: (any BroadcastBackend)?
    private let state: Mutex<State>
    private let counters: Counters

    /// - Parameters:
    ///   - contract: the socket contract whose `serverToClient` methods are published.
    ///   - backend: carries messages to the other instances; `nil` delivers in this process only.
    ///   - metrics: the factory for the counters (the global one when `nil`).
    public init(contract: SocketContract, backend: (any BroadcastBackend)? = nil, limits: Limits = Limits(), metrics: (any MetricsFactory)? = nil) {
        self.contract = contract
        self.backend = backend
        self.limits = limits
        self.state = Mutex(State(seen: RecentIDs(capacity: limits.deduplicationWindow)))
        self.counters = Counters(api: contract.name, factory: metrics)
    }

    // MARK: Subscriptions

    /// Subscribes `socket` to `topics`, adding to what it already has; it is unsubscribed when it closes.
    public func subscribe<Query>(_ socket: ServerSocket<Query>, to topics: Set<String>) {
        subscribe(peer: socket.peer, to: topics)
    }

    /// Unsubscribes `socket` from `topics` (from every topic when `nil`).
    public func unsubscribe<Query>(_ socket: ServerSocket<Query>, from topics: Set<String>? = nil) {
        let key = ObjectIdentifier(socket.peer)
        state.withLock { state in state.remove(key, from: topics) }
    }

    /// The number of local sockets subscribed to `topic`.
    public func subscriberCount(of topic: String) -> Int {
        state.withLock { $0.topics[topic]?.count ?? 0 }
    }

    func subscribe(peer: SocketPeer, to topics: Set<String>) {
        let key = ObjectIdentifier(peer)
        let isNew = state.withLock { state in
            let isNew = state.subscribers[key] == nil
            if isNew { state.subscribers[key] = Subscription(subscriber: Subscriber(peer: peer)) }
            state.subscribers[key]!.topics.formUnion(topics)
            for topic in topics { state.topics[topic, default: []].insert(key) }
            return isNew
        }
        if isNew { peer.onClose { [weak self] in self?.state.withLock { state in state.remove(key, from: nil) } } }
    }

    // MARK: Publishing

    /// Publishes `input` as a push of `method` (a `serverToClient` method without `success`) to every socket
    /// subscribed to `topic`, on every instance, except those subscribed to `excluding`.
    ///
    /// Returns once the backend accepted it (at once without one); throws VALIDATION_ERROR for input the contract
    /// refuses, SERVER_ERROR for a method that is not a push or when the backend refuses.
    public func publish<Input, Success>(
        _ method: ContractMethod<Input, Success>, _ input: Input, to topic: String, excluding: String? = nil
    ) async throws(ServiceError) {
        guard contract.method(named: method.name, .serverToClient) != nil, !method.hasSuccess else {
            throw SERVER_ERROR(debugMessage: "\(contract.route(of: method)) is not a push of \(contract.name)")
        }
        let message = BroadcastMessage(
            id: Self.makeID(), topic: topic, route: contract.route(of: method), payload: try method.socketPayload(input), excluding: excluding)
        try await publish(message, isEncodedHere: true)
    }

    /// Publishes an encoded message (a backend relaying, or a proxy).
    public func publish(_ message: BroadcastMessage) async throws(ServiceError) {
        try await publish(message, isEncodedHere: false)
    }

    /// `isEncodedHere`: route and payload were written by this process's encoders, so they are valid UTF-8.
    private func publish(_ message: BroadcastMessage, isEncodedHere: Bool) async throws(ServiceError) {
        guard let backend else {
            // In-process: each publish is delivered exactly once, so no id is remembered (no de-duplication).
            counters.published(ok: true)
            fanOut(message, to: state.withLock { $0.targets(of: message) }, isEncodedHere: isEncodedHere)
            return
        }
        do {
            try await backend.publish(message)
            counters.published(ok: true)
        } catch {
            counters.published(ok: false)
            throw SERVER_ERROR(displayMessage: "The broadcast could not be published", originalError: error)
        }
    }

    /// Runs the backend's delivery until cancelled (a service for the server's lifetime); without a backend it
    /// waits for cancellation.
    public func run() async throws {
        guard let backend else {
            // Nothing to receive: wait for the cancellation that ends the service.
            let (stream, continuation) = AsyncStream<Never>.makeStream()
            await withTaskCancellationHandler {
                for await _ in stream {}
            } onCancel: {
                continuation.finish()
            }
            return
        }
        try await backend.run { [weak self] message in self?.deliver(message) }
    }

    /// Delivers `message` from a backend to the local subscribers of its topic, once per message id (a backend
    /// delivers at least once; the last ``Limits/deduplicationWindow`` ids are remembered).
    public func deliver(_ message: BroadcastMessage) {
        let targets = state.withLock { state -> [Subscriber]? in
            guard state.seen.insert(message.id) else { return nil }
            return state.targets(of: message)
        }
        guard let targets else {
            counters.duplicate.increment()
            return
        }
        fanOut(message, to: targets, isEncodedHere: false)
    }

    private func fanOut(_ message: BroadcastMessage, to targets: [Subscriber], isEncodedHere: Bool) {
        guard !targets.isEmpty else { return }
        let frame = Self.frame(of: message, isEncodedHere: isEncodedHere)
        for target in targets { enqueue(frame, payloadBytes: message.payload.count, to: target) }
    }

    /// The `m` frame of `message`, encoded once for all its subscribers, which send the same buffer (shared storage,
    /// no copy, no second validation). A message this process encoded (a typed publish without a backend) is valid
    /// UTF-8 and goes straight into the buffer; one from a backend or a caller's ``publish(_:)`` may come from another
    /// process, so invalid UTF-8 is repaired to U+FFFD here, once per message, as the transport's `String` path did
    /// per socket.
    static func frame(of message: BroadcastMessage, isEncodedHere: Bool) -> ByteBuffer {
        guard isEncodedHere else {
            return SocketFrameCodec.repairedBuffer(SocketFrameCodec.encode(.message, path: message.route, payload: message.payload))
        }
        return SocketFrameCodec.encodeBuffer(.message, path: message.route, payload: message.payload)
    }

    private func enqueue(_ frame: ByteBuffer, payloadBytes: Int, to subscriber: Subscriber) {
        switch subscriber.mailbox.withLock({ $0.append(frame, bytes: payloadBytes, limits: limits) }) {
        case .queued:
            break
        case .startDrain:
            // Nothing structured outlives this call and owns the socket's delivery order: the drain is a task of its
            // own, at most one per socket at a time, and ends when the mailbox is empty or the socket closed.
            Task { await self.drain(subscriber) }
        case .overflow:
            counters.droppedSlow.increment()
            dropSlow(subscriber)
        case .closed:
            counters.closed.increment()
        }
    }

    private func drain(_ subscriber: Subscriber) async {
        while let batch = subscriber.mailbox.withLock({ $0.takeBatch() }) {
            for (index, frame) in batch.enumerated() {
                do {
                    try await subscriber.peer.push(frame)
                    counters.delivered.increment()
                } catch {
                    let lost = batch.count - index
                    if case .outboundQueueFull? = error as? WebSocketError {
                        counters.droppedSlow.increment(by: Int64(lost))
                        dropSlow(subscriber)
                    } else {
                        counters.closed.increment(by: Int64(lost))
                        _ = subscriber.mailbox.withLock { $0.close() }
                    }
                    return
                }
            }
        }
    }

    private func dropSlow(_ subscriber: Subscriber) {
        let key = ObjectIdentifier(subscriber.peer)
        state.withLock { state in state.remove(key, from: nil) }
        let dropped = subscriber.mailbox.withLock { $0.close() }
        if dropped > 0 { counters.droppedSlow.increment(by: Int64(dropped)) }
        // Closing waits for the close handshake; the publisher does not.
        Task { await subscriber.peer.close(code: WebSocketCloseCode(1013), reason: "too slow for broadcasts") }
    }

    /// 128 random bits, hex: unique enough across instances and restarts.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        let hex = String(high, radix: 16) + "-" + String(low, radix: 16)
        return hex
    }
}

// MARK: - State

extension SocketBroadcast {
    final class Subscriber: Sendable {
        let peer: SocketPeer
        let mailbox = Mutex(Mailbox())

        init(peer: SocketPeer) {
            self.peer = peer
        }
    }

    struct Subscription: Sendable {
        let subscriber: Subscriber
        var topics: Set<String> = []
    }

    struct State: Sendable {
        var subscribers: [ObjectIdentifier: Subscription] = [:]
        var topics: [String: Set<ObjectIdentifier>] = [:]
        var seen: RecentIDs

        /// The subscribers of `message`'s topic, less those subscribed to its `excluding` topic.
        func targets(of message: BroadcastMessage) -> [Subscriber] {
            guard let keys = topics[message.topic] else { return [] }
            let skipped = message.excluding.flatMap { topics[$0] } ?? []
            return keys.compactMap { key in skipped.contains(key) ? nil : subscribers[key]?.subscriber }
        }

        mutating func remove(_ key: ObjectIdentifier, from removed: Set<String>?) {
            guard let subscriber = subscribers[key] else { return }
            let topicsToLeave = removed.map { $0.intersection(subscriber.topics) } ?? subscriber.topics
            for topic in topicsToLeave {
                topics[topic]?.remove(key)
                if topics[topic]?.isEmpty == true { topics[topic] = nil }
            }
            subscribers[key]!.topics.subtract(topicsToLeave)
            if subscribers[key]!.topics.isEmpty || removed == nil { subscribers[key] = nil }
        }
    }

    /// One socket's pushes waiting to be sent, in order; one drain task at a time.
    struct Mailbox: Sendable {
        enum AppendAction: Equatable { case queued, startDrain, overflow, closed }

        private(set) var frames: [ByteBuffer] = []
        private(set) var bytes = 0
        private(set) var isDraining = false
        private(set) var isClosed = false

        mutating func append(_ frame: ByteBuffer, bytes count: Int, limits: Limits) -> AppendAction {
            if isClosed { return .closed }
            if frames.count >= limits.maxPendingMessages || bytes + count > limits.maxPendingBytes { return .overflow }
            frames.append(frame)
            bytes += count
            if isDraining { return .queued }
            isDraining = true
            return .startDrain
        }

        /// The waiting frames, or `nil` (and the drain ends) when there are none.
        mutating func takeBatch() -> [ByteBuffer]? {
            guard !frames.isEmpty, !isClosed else {
                isDraining = false
                return nil
            }
            defer {
                frames = []
                bytes = 0
            }
            return frames
        }

        /// Closes the mailbox; returns how many frames were waiting.
        @discardableResult
        mutating func close() -> Int {
            isClosed = true
            defer { frames = [] }
            return frames.count
        }
    }

    /// A bounded set of the most recent ids (FIFO eviction); grows as ids arrive, so an in-process broadcast, which
    /// inserts none, holds none.
    struct RecentIDs: Sendable {
        private var members: Set<String> = []
        private var order: [String] = []
        private var next = 0
        private let capacity: Int

        init(capacity: Int) {
            self.capacity = max(1, capacity)
        }

        /// Inserts `id`; `false` when it is already a member.
        mutating func insert(_ id: String) -> Bool {
            guard members.insert(id).inserted else { return false }
            if order.count < capacity {
                order.append(id)
                return true
            }
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
            return true
        }
    }

    struct Counters: Sendable {
        let publishedOK: Counter
        let publishFailed: Counter
        let delivered: Counter
        let droppedSlow: Counter
        let closed: Counter
        let duplicate: Counter

        init(api: String, factory: (any MetricsFactory)?) {
            func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
                let label = SocketMetrics.prefix + label
                return factory.map { Counter(label: label, dimensions: [("api", api)] + dimensions, factory: $0) }
                    ?? Counter(label: label, dimensions: [("api", api)] + dimensions)
            }
            publishedOK = counter("broadcast_published_total", [("result", "OK")])
            publishFailed = counter("broadcast_published_total", [("result", "FAILED")])
            delivered = counter("broadcast_deliveries_total", [("result", "OK")])
            droppedSlow = counter("broadcast_deliveries_total", [("result", "DROPPED_SLOW")])
            closed = counter("broadcast_deliveries_total", [("result", "CLOSED")])
            duplicate = counter("broadcast_duplicates_total", [])
        }

        func published(ok: Bool) {
            (ok ? publishedOK : publishFailed).increment()
        }
    }
}
