import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import Testing

/// Values reported by callbacks on other tasks, awaited one by one in order (no polling).
final class Events<Value: Sendable>: Sendable {
    let stream: AsyncStream<Value>
    private let continuation: AsyncStream<Value>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Value.self)
    }

    func add(_ value: Value) { continuation.yield(value) }
}

/// The reconnect loop, the connection driver and the pooled handle, through the public client.
@Suite("Socket client lifecycle", .timeLimit(.minutes(1)))
struct SocketClientLifecycleTests {
    static func chatServer(port: Int = 0, connections: Events<Int>? = nil, closed: Events<Int>? = nil) async throws -> HTTPServer {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: port))
        try server.register(PublicChat) { socket in
            connections?.add(1)
            socket.onClose { closed?.add(1) }
            try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            try await socket.outgoing.call(ChatApi.newMessage, "welcome")
        }
        try await server.start()
        return server
    }

    @Test func afterAServerRestartTheNewSocketServesHandlersRegisteredDuringTheOutage() async throws {
        let first = try await Self.chatServer()
        let port = try #require(first.port)
        var configuration = SocketClientConfiguration()
        configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100), jitter: .none)
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let connects = Events<Int>()
        let disconnects = Events<SocketDisconnectReason>()
        client.onConnect { connects.add(1) }
        client.onDisconnect { disconnects.add($0) }
        var connected = connects.stream.makeAsyncIterator()
        var dropped = disconnects.stream.makeAsyncIterator()

        try await client.connect()
        #expect(await connected.next() == 1)
        await first.shutdown()
        #expect(await dropped.next() == .drop)
        #expect(!client.isConnected)

        // Registered while the loop is between sockets: the next socket must carry it.
        let welcomes = Events<String>()
        var welcomed = welcomes.stream.makeAsyncIterator()
        try client.incoming.on(ChatApi.newMessage) { welcomes.add($0) }

        let second = try await Self.chatServer(port: port)
        #expect(await connected.next() == 1, "the loop dialled again once a server listened")
        #expect(await welcomed.next() == "welcome", "the server's first push reached the handler added during the outage")
        #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "back", channelId: "c")).messageId == "back")
        await client.disconnect()
        #expect(await dropped.next() == .manual)
        await second.shutdown()
    }

    @Test func closingDuringAReconnectBackoffEndsPromptly() async throws {
        let server = try await Self.chatServer()
        var configuration = SocketClientConfiguration()
        // One long wait before the first retry: only cancelling it can end the loop soon.
        configuration.reconnect = ReconnectPolicy(initialDelay: .seconds(120), maxDelay: .seconds(120), jitter: .none)
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(try #require(server.port))", configuration: configuration)
        let disconnects = Events<SocketDisconnectReason>()
        let closes = Events<SocketDisconnectReason>()
        client.onDisconnect { disconnects.add($0) }
        client.onClose { closes.add($0) }
        var dropped = disconnects.stream.makeAsyncIterator()
        var closed = closes.stream.makeAsyncIterator()

        try await client.connect()
        await server.shutdown()
        #expect(await dropped.next() == .drop)

        let clock = ContinuousClock()
        let elapsed = await clock.measure { await client.close() }
        // close() returns once the reconnect loop has ended, so a backoff it did not cancel would hold it 120 s.
        #expect(elapsed < .seconds(10), "close() waited out the backoff: \(elapsed)")
        #expect(await closed.next() == .manual)
        #expect(!client.isConnected)
        await #expect(throws: ServiceError.self) {
            try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "late", channelId: "c"))
        }
    }

    @Test func aHandlerThatClosesItsOwnClientDoesNotWaitForItself() async throws {
        let server = HTTPServer()
        try server.register(PublicChat) { socket in
            try socket.incoming.on(ChatApi.sendMessage) { request in
                _ = await socket.outgoing.result(ChatApi.areYouThere)
                return SendMessageResponse(success: true, messageId: request.text)
            }
        }
        try await server.start()
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(try #require(server.port))")
        let closes = Events<SocketDisconnectReason>()
        client.onClose { closes.add($0) }
        var closed = closes.stream.makeAsyncIterator()
        // The handler runs inside the client's reconnect loop, which close() ends and would otherwise wait for.
        try client.incoming.on(ChatApi.areYouThere) {
            await client.close()
            return true
        }
        try await client.connect()
        let reply = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "bye", channelId: "c"))
        #expect(reply.error != nil, "the socket closed before the reply")
        #expect(await closed.next() == .manual)
        #expect(!client.isConnected)
        await server.shutdown()
    }

    @Test func releasingAPooledHandleTakesItsHandlersAndTheLastReleaseClosesTheSocket() async throws {
        let connections = Events<Int>()
        let serverCloses = Events<Int>()
        let server = try await Self.chatServer(connections: connections, closed: serverCloses)
        let url = "ws://127.0.0.1:\(try #require(server.port))"
        let pool = SocketClientPool()
        var configuration = SocketClientConfiguration()
        configuration.pool = pool
        let a = PublicChat.createClient(url: url, configuration: configuration)
        let b = PublicChat.createClient(url: url, configuration: configuration)
        try a.incoming.on(ChatApi.newMessage) { _ in }
        try await a.connect()
        try await b.connect()
        let key = try #require(await pool.connectionKeys.first)
        #expect(await pool.handleCount(for: key) == 2)
        #expect(throws: SocketRegistrationError.self) { try b.incoming.on(ChatApi.newMessage) { _ in } }

        await a.disconnect()
        #expect(await pool.handleCount(for: key) == 1)
        // a's handle took a's handler off the shared socket: the method is free for b now.
        try b.incoming.on(ChatApi.newMessage) { _ in }
        #expect(try await b.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "b", channelId: "c")).messageId == "b")

        await b.disconnect()
        #expect(await pool.size == 0)
        var serverClosed = serverCloses.stream.makeAsyncIterator()
        #expect(await serverClosed.next() == 1, "the last release closed the shared socket")
        connections.add(0)
        var opened = connections.stream.makeAsyncIterator()
        #expect(await opened.next() == 1)
        #expect(await opened.next() == 0, "one shared socket for both clients")
        await server.shutdown()
    }

    @Test func aPooledSocketThatStopsForGoodLeavesThePool() async throws {
        let first = try await Self.chatServer()
        let port = try #require(first.port)
        let pool = SocketClientPool()
        var configuration = SocketClientConfiguration()
        configuration.pool = pool
        configuration.reconnect = nil
        let a = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let closes = Events<SocketDisconnectReason>()
        a.onClose { closes.add($0) }
        var closed = closes.stream.makeAsyncIterator()
        try await a.connect()
        #expect(await pool.size == 1)

        await first.shutdown()
        #expect(await closed.next() == .drop)
        #expect(await pool.size == 0, "the dead socket is still pooled")

        let second = try await Self.chatServer(port: port)
        let b = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        try await b.connect()
        #expect(try await b.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "fresh", channelId: "c")).messageId == "fresh")
        await b.disconnect()
        await second.shutdown()
    }
}
