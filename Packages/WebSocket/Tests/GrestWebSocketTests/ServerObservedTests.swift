import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import GrestWebSocketTransport
import Testing

/// The first element `stream` yields, or `nil` when none comes within `limit`: a test awaiting an event fails
/// (on `nil`) instead of hanging when the event never happens.
func first<Element: Sendable>(_ stream: AsyncStream<Element>, within limit: Duration = .seconds(10)) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let winner = await group.next() ?? nil
        group.cancelAll()
        return winner
    }
}

/// The value of `task`, or `nil` when it does not finish within `limit` (the task is then cancelled).
func value<Success: Sendable>(of task: Task<Success, Never>, within limit: Duration = .seconds(10)) async -> Success? {
    await withTaskGroup(of: Success?.self) { group in
        group.addTask { await task.value }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let winner = await group.next() ?? nil
        if winner == nil { task.cancel() }
        group.cancelAll()
        return winner
    }
}

/// Behaviours the server side must observe over a real connection (not only the client's bookkeeping).
@Suite("What the server observes", .timeLimit(.minutes(2)))
struct ServerObservedTests {
    @Test("the pool closes the shared socket when its last handle detaches, and the server sees the close")
    func poolCloseReachesTheServer() async throws {
        let (closes, closed) = AsyncStream.makeStream(of: Void.self)
        let opens = Inbox<Int>()
        let server = try await PublicChat.startServer { socket in
            opens.add(1)
            socket.onClose { closed.yield() }
            try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
        }
        let port = try #require(server.port)
        let pool = SocketClientPool()
        var configuration = SocketClientConfiguration()
        configuration.pool = pool
        let a = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let b = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        try await a.connect()
        try await b.connect()
        #expect(opens.all.count == 1)

        // The first detach keeps the socket: the server still answers b on it.
        await a.disconnect()
        #expect(try await b.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "still", channelId: "c")).messageId == "still")
        #expect(opens.all.count == 1)

        // The last detach closes it, and the close reaches the server.
        await b.disconnect()
        #expect(await pool.size == 0)
        #expect(await first(closes) != nil, "the server never observed the pooled socket's close")
        await server.shutdown()
    }

    @Test("requests in flight resolve 'Socket connection closed!' when the server drops the connection")
    func serverDropResolvesPending() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (drops, drop) = AsyncStream.makeStream(of: Void.self)
        let server = try await PublicChat.startServer { socket in
            try socket.incoming.on(ChatApi.sendMessage) { request in
                arrived.yield()
                // Held until the test has the server close the socket; the reply can then never be sent.
                _ = await first(drops, within: .seconds(30))
                return SendMessageResponse(success: true, messageId: request.text)
            }
            socket.onClose { drop.yield() }
            try socket.incoming.on(ChatApi.markAsRead) { _ in await socket.close(code: .goingAway, reason: "server drops") }
        }
        let port = try #require(server.port)
        var configuration = SocketClientConfiguration()
        configuration.reconnect = nil
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        try await client.connect()
        let pending = Task { await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "held", channelId: "c")) }
        #expect(await first(arrivals) != nil, "the request never reached the server")
        // The server closes the socket from its own side while `held` is in flight (this call resolves closed too).
        _ = await client.outgoing.result(ChatApi.markAsRead, MarkAsRead(messageId: "x"))
        let result = await value(of: pending)
        #expect(result?.error?.displayMessage == "Socket connection closed!", "\(String(describing: result))")
        await client.close()
        await server.shutdown()
    }
}
