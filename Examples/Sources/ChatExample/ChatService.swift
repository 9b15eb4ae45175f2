import GrestContext
import GrestHTTP
public import CoreMetrics
public import GrestSchema
public import GrestWebSocket
import Synchronization
public import Tagged

/// The seed README's `ChatService`, grown into the app: channels, history (``ChatRepository``: SQLite or PostgreSQL),
/// read markers, typing pushes, presence, and a roll call through server-initiated requests.
///
/// One `Mutex` owns the in-memory state (connections, typing throttle). New messages, new channels and typing go
/// through ``broadcast`` (topic `chat`, and `user:<id>` to skip the typist), so with a PostgreSQL backend they reach
/// the clients of every server in a cluster; presence and the roll call are this server's own connections. Each socket
/// has its own push queue, so one slow client never delays the others. Messages are stored before anyone is told: a
/// failed write reaches the sender as `SERVER_ERROR` and nothing is pushed.
public final class ChatService: Sendable {
    struct Connection: Sendable {
        let user: UserId
        let outgoing: SocketOutgoing
    }

    struct State: Sendable {
        var connections: [UInt64: Connection] = [:]
        var nextConnectionID: UInt64 = 1
        /// When each (user, channel) last had a `typing` push, for the throttle.
        var lastTyping: [String: ContinuousClock.Instant] = [:]
        /// Presence changed since it was last pushed.
        var presenceChanged = false
        /// A presence publisher is running; it pushes until nothing changed since its last push.
        var isPublishingPresence = false

        /// The users with at least one open socket, sorted.
        var onlineUsers: [UserId] { Set(connections.values.map(\.user)).sorted { $0.rawValue < $1.rawValue } }
    }

    private let state = Mutex(State())
    public let store: any ChatRepository
    /// Fans `newMessage`, `channelCreated` and `typing` out to the sockets (of every server, with a shared backend).
    public let broadcast: SocketBroadcast
    /// How many messages `GET /api/messages` and a history page without `limit` return.
    public let historyLimit: Int
    /// At most one `typing` push per user and channel within this interval.
    public let typingInterval: Duration

    /// The topic every chat socket is subscribed to.
    public static let everyone = "chat"
    /// This server's own sockets, for presence: a broadcast without backend, so it never leaves this server.
    private let presence: SocketBroadcast

    /// - Parameters:
    ///   - broadcast: in-process by default; give one with a ``BroadcastBackend`` to span servers.
    ///   - metricsFactory: where the presence broadcast (and the default `broadcast`) count their pushes; give the
    ///     server's (`HTTPServerConfiguration.metricsFactory`) so they show in its `/metrics`. The global swift-metrics
    ///     factory when `nil`.
    public init(
        store: any ChatRepository, broadcast: SocketBroadcast? = nil, metricsFactory factory: (any MetricsFactory)? = nil,
        historyLimit: Int = 50, typingInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.broadcast = broadcast ?? SocketBroadcast(contract: ChatApi.contract, metrics: factory)
        self.presence = SocketBroadcast(contract: ChatApi.contract, metrics: factory)
        self.historyLimit = historyLimit
        self.typingInterval = typingInterval
    }

    /// Open sockets.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// The users with at least one open socket, sorted.
    public var onlineUsers: [UserId] {
        state.withLock { $0.onlineUsers }
    }

    /// The per-connection handler: registers `incoming`, keeps `outgoing` for broadcasts, forgets it on close.
    @Sendable public func handleConnection(_ socket: ServerSocket<Void>) throws {
        let user = try authUserKey.assert()
        // Handlers first: if one failed to register (a programming error), the socket is refused before this user counts
        // as online.
        try socket.incoming.on(ChatApi.sendMessage) { [self] request in
            let message = try await send(request.text, from: user.id, to: request.channelId)
            return SendMessageResponse(success: true, messageId: message.id)
        }
        try socket.incoming.on(ChatApi.markAsRead) { [self] request in
            try await markRead(user: user.id, messageId: request.messageId)
        }
        try socket.incoming.on(ChatApi.ping) {}
        try socket.incoming.on(ChatApi.channels) { [self] in try await channels(for: user.id) }
        try socket.incoming.on(ChatApi.history) { [self] request in try await history(request) }
        try socket.incoming.on(ChatApi.createChannel) { [self] request in try await createChannel(request.channelId, by: user.id) }
        try socket.incoming.on(ChatApi.startTyping) { [self] request in await notifyTyping(userId: user.id, channelId: request.channelId) }
        try socket.incoming.on(ChatApi.online) { [self] in Presence(users: onlineUsers) }
        let id = state.withLock { state in
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            state.connections[id] = Connection(user: user.id, outgoing: socket.outgoing)
            return id
        }
        broadcast.subscribe(socket, to: [Self.everyone, Self.userTopic(user.id)])
        presence.subscribe(socket, to: [Self.everyone])
        socket.onClose { [self] in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
            presenceChanged()
        }
        presenceChanged()
    }

    // MARK: Operations shared by the socket and HTTP APIs

    /// Stores the message, then pushes it to every connection. A failed write throws `SERVER_ERROR`.
    public func send(_ text: String, from sender: UserId, to channelId: String) async throws(ServiceError) -> Message {
        let message: Message
        do {
            guard try await store.channelExists(channelId) else { throw NOT_FOUND(displayMessage: "No channel \(channelId)") }
            message = try await store.append(text: text, from: sender, to: channelId)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw SERVER_ERROR(displayMessage: "The message could not be saved", originalError: error)
        }
        // The sender has read what they wrote.
        try? await store.markRead(user: sender, channelId: channelId, messageId: Int(message.id) ?? 0)
        await broadcast(message)
        return message
    }

    public func markRead(user: UserId, messageId: String) async throws(ServiceError) {
        guard let id = Int(messageId) else { throw VALIDATION_ERROR([], displayMessage: "Unknown message \(messageId)") }
        do {
            guard let channelId = try await store.channel(ofMessage: id) else { throw NOT_FOUND(displayMessage: "Unknown message \(messageId)") }
            try await store.markRead(user: user, channelId: channelId, messageId: id)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw SERVER_ERROR(displayMessage: "The read marker could not be saved", originalError: error)
        }
    }

    public func channels(for user: UserId) async throws(ServiceError) -> [ChannelState] {
        do {
            return try await store.channelStates(for: user)
        } catch {
            throw SERVER_ERROR(displayMessage: "Channels could not be read", originalError: error)
        }
    }

    public func history(_ request: HistoryRequest) async throws(ServiceError) -> HistoryPage {
        let limit = request.limit ?? historyLimit
        var before: Int?
        if let raw = request.before {
            guard let id = Int(raw) else { throw VALIDATION_ERROR([], displayMessage: "before must be a message id") }
            before = id
        }
        do {
            guard try await store.channelExists(request.channelId) else { throw NOT_FOUND(displayMessage: "No channel \(request.channelId)") }
            // One extra row tells whether an older page exists.
            var messages = try await store.history(channelId: request.channelId, before: before, limit: limit + 1)
            let hasMore = messages.count > limit
            if hasMore { messages.removeFirst() }
            return HistoryPage(messages: messages, hasMore: hasMore)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw SERVER_ERROR(displayMessage: "History could not be read", originalError: error)
        }
    }

    public func createChannel(_ channelId: String, by user: UserId) async throws(ServiceError) -> ChannelState {
        let created: Bool
        do {
            created = try await store.createChannel(channelId, by: user)
        } catch {
            throw SERVER_ERROR(displayMessage: "The channel could not be created", originalError: error)
        }
        if created { try? await broadcast.publish(ChatApi.channelCreated, ChannelRequest(channelId: channelId), to: Self.everyone) }
        return ChannelState(id: channelId, unread: 0, lastReadId: "0")
    }

    /// Pushes `message` to every connection (of every server sharing the broadcast backend).
    public func broadcast(_ message: Message) async {
        // The message is stored: a failed publish (the backend retried) costs live pushes, not the message.
        try? await broadcast.publish(ChatApi.newMessage, message, to: Self.everyone)
    }

    static func userTopic(_ user: UserId) -> String { "user:" + user.rawValue }

    /// Tells everyone but `userId` that `userId` is typing in `channelId`, at most once per ``typingInterval``.
    public func notifyTyping(userId: UserId, channelId: String) async {
        let key = userId.rawValue + "\u{0}" + channelId
        let now = ContinuousClock.now
        let due = state.withLock { state in
            if let last = state.lastTyping[key], now - last < typingInterval { return false }
            state.lastTyping[key] = now
            return true
        }
        guard due else { return }
        try? await broadcast.publish(ChatApi.typing, TypingEvent(userId: userId, channelId: channelId), to: Self.everyone, excluding: Self.userTopic(userId))
    }

    /// Asks every connection `areYouThere` (a server-initiated request) and counts the `true` answers within `timeout`.
    public func rollCall(timeout: Duration = .seconds(1)) async -> Int {
        await answeringUsers(timeout: timeout).count
    }

    /// The users of the connections that answer `areYouThere` with `true` within `timeout` (one entry per connection).
    public func answeringUsers(timeout: Duration = .seconds(1)) async -> [UserId] {
        let targets = state.withLock { Array($0.connections.values) }
        return await withTaskGroup(of: UserId?.self) { group in
            for target in targets {
                group.addTask { (try? await target.outgoing.call(ChatApi.areYouThere, timeout: timeout)) == true ? target.user : nil }
            }
            return await group.reduce(into: []) { if let user = $1 { $0.append(user) } }
        }
    }

    /// The latest messages of `general`, oldest first (the original `GET /api/messages`).
    public func latest(channelId: String = "general") async throws(ServiceError) -> [Message] {
        try await history(HistoryRequest(channelId: channelId)).messages
    }

    /// A socket opened or closed: the online list goes to every socket of this server, once per burst of changes.
    ///
    /// One publisher at a time pushes the latest list until nothing changed since its last push, so a thousand
    /// clients connecting at once cost a few pushes of one shared frame each, not a push per socket per connect
    /// (which made presence O(n²) tasks and frames, about 0.5 MiB of server memory per client in `make bench-chat`),
    /// and the last list a socket gets is the current one.
    private func presenceChanged() {
        let startsPublisher = state.withLock { state in
            state.presenceChanged = true
            guard !state.isPublishingPresence else { return false }
            state.isPublishingPresence = true
            return true
        }
        // Called from a socket's setup and its close callback, which own no task that outlives them.
        if startsPublisher { Task { await publishPresence() } }
    }

    private func publishPresence() async {
        while true {
            let users = state.withLock { state -> [UserId]? in
                guard state.presenceChanged else {
                    state.isPublishingPresence = false
                    return nil
                }
                state.presenceChanged = false
                return state.onlineUsers
            }
            guard let users else { return }
            try? await presence.publish(ChatApi.presence, Presence(users: users), to: Self.everyone)
        }
    }
}

/// Wall-clock milliseconds, like JavaScript's `Date.now()`, without Foundation.
func now() -> Int {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int(spec.tv_sec) * 1000 + Int(spec.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif
