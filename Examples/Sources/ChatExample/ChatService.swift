import GrestContext
import GrestHTTP
import GrestSchema
public import GrestWebSocket
import Synchronization

/// The seed README's `ChatService`: tracks connections per user, answers `sendMessage`, broadcasts.
///
/// One `Mutex` owns the state; pushes happen outside it, concurrently, so one slow client never delays the
/// others (a full send queue fails that client's push only).
public final class ChatService: Sendable {
    struct Connection: Sendable {
        let user: UserId
        let outgoing: SocketOutgoing
    }

    struct State: Sendable {
        var connections: [UInt64: Connection] = [:]
        var nextConnectionID: UInt64 = 1
        var history: [Message] = []
        var nextMessageID = 1
        var read: [UserId: Set<String>] = [:]
    }

    private let state = Mutex(State())
    /// How many messages `GET /api/messages` returns.
    public let historyLimit: Int

    public init(historyLimit: Int = 50) {
        self.historyLimit = historyLimit
    }

    /// Open sockets.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// The per-connection handler: registers `incoming`, keeps `outgoing` for broadcasts, forgets it on close.
    @Sendable public func handleConnection(_ socket: ServerSocket<Void>) throws {
        let user = try authUserKey.assert()
        let id = state.withLock { state in
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            state.connections[id] = Connection(user: user.id, outgoing: socket.outgoing)
            return id
        }
        try socket.incoming.on(ChatApi.sendMessage) { [self] request in
            let message = save(request, from: user.id)
            await broadcast(message)
            return SendMessageResponse(success: true, messageId: message.id)
        }
        try socket.incoming.on(ChatApi.markAsRead) { [self] request in
            _ = state.withLock { $0.read[user.id, default: []].insert(request.messageId) }
        }
        try socket.incoming.on(ChatApi.ping) {}
        socket.onClose { [self] in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }

    func save(_ request: SendMessageRequest, from sender: UserId) -> Message {
        state.withLock { state in
            let message = Message(
                id: "m\(state.nextMessageID)", text: request.text, senderId: sender,
                timestamp: Int(clockMilliseconds()))
            state.nextMessageID += 1
            state.history.append(message)
            if state.history.count > historyLimit { state.history.removeFirst(state.history.count - historyLimit) }
            return message
        }
    }

    /// Pushes `message` to every connection.
    public func broadcast(_ message: Message) async {
        await push { outgoing in try await outgoing.call(ChatApi.newMessage, message) }
    }

    /// Tells everyone but `userId` that `userId` is typing in `channelId`.
    public func notifyTyping(userId: UserId, channelId: String) async {
        await push(skipping: userId) { outgoing in try await outgoing.call(ChatApi.typing, TypingEvent(userId: userId, channelId: channelId)) }
    }

    /// Asks every connection `areYouThere` (a server-initiated request) and counts the `true` answers within `timeout`.
    public func rollCall(timeout: Duration = .seconds(1)) async -> Int {
        let targets = state.withLock { Array($0.connections.values) }
        return await withTaskGroup(of: Bool.self) { group in
            for target in targets {
                group.addTask { (try? await target.outgoing.call(ChatApi.areYouThere, timeout: timeout)) ?? false }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    /// The latest messages, oldest first.
    public var history: [Message] { state.withLock { $0.history } }

    private func push(skipping skipped: UserId? = nil, _ send: @escaping @Sendable (SocketOutgoing) async throws -> Void) async {
        let targets = state.withLock { $0.connections.values.filter { $0.user != skipped } }
        await withTaskGroup(of: Void.self) { group in
            for target in targets {
                group.addTask { try? await send(target.outgoing) }
            }
        }
    }
}

private func clockMilliseconds() -> Int64 {
    // Wall-clock milliseconds, like JavaScript's Date.now(), without Foundation.
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
