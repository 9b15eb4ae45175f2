import GrestHTTP
import GrestWebSocket
import GrestWebSocketTransport
import NIOCore
import PeerProcesses
import Testing
import WebSocketCompression
import NIOHTTP1
import Synchronization

/// The transport served through GrestHTTP's upgrade dispatcher, over real sockets, with our client.
@Suite("WebSocket on a GrestHTTP server", .timeLimit(.minutes(2)))
struct HTTPServerWebSocketTests {
    static func configuration(deflate: Bool) -> WebSocketConfiguration {
        var configuration = WebSocketConfiguration()
        if deflate { configuration.compression = PerMessageDeflate() }
        return configuration
    }

    @Test(arguments: [false, true])
    func echoThroughTheUpgradeDispatcher(deflate: Bool) async throws {
        let server = HTTPServer()
        try server.registerWebSocket(path: "/ws/echo", configuration: Self.configuration(deflate: deflate)) { connection in
            for await message in connection.inbound {
                do { try await connection.send(message) } catch { break }
            }
        }
        try await server.start()
        let port: Int
        do { port = try #require(server.port) } catch {
            await server.shutdown()
            throw error
        }

        let client = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/echo", configuration: Self.configuration(deflate: deflate))
        #expect(client.info.extensions.isEmpty == !deflate)
        let text = String(repeating: "grest ", count: 2_000)
        try await client.send(text: text)
        try await client.send(binary: ByteBuffer(bytes: [0, 1, 2, 255]))
        var iterator = client.inbound.makeAsyncIterator()
        #expect(await iterator.next() == .text(text))
        #expect(await iterator.next() == .binary(ByteBuffer(bytes: [0, 1, 2, 255])))
        _ = try await client.close()
        await server.shutdown()
    }

    /// `registerWebSocket(handlerExecutor:)`: the handler runs on Swift's global executor by default, on the
    /// connection's event loop with `.eventLoop`, before and after it awaits.
    @Test(arguments: [WebSocketHandlerExecutor.globalConcurrent, .eventLoop])
    func handlerRunsWhereConfigured(executor: WebSocketHandlerExecutor) async throws {
        try await withServer({ server in
            try server.registerWebSocket(path: "/ws/where", handlerExecutor: executor) { connection in
                for await _ in connection.inbound {
                    let onLoop = connection.channel.eventLoop.inEventLoop
                    do { try await connection.send(text: onLoop ? "event loop" : "global") } catch { break }
                }
            }
        }) { port in
            let client = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/where")
            var iterator = client.inbound.makeAsyncIterator()
            for _ in 0..<3 {
                try await client.send(text: "where?")
                #expect(await iterator.next() == .text(executor == .eventLoop ? "event loop" : "global"))
            }
            _ = try await client.close()
        }
    }

    /// Refusals are specific: the typed client reports `upgradeRejected`, and the raw status on the wire is the
    /// documented one (registerWebSocket's doc comment, Packages/Http/README.md).
    @Test func unknownPathsRefusalsAndPlainHTTPGetTheirStatus() async throws {
        try await withServer({ server in
            try server.registerWebSocket(path: "/ws/private", shouldAccept: { $0.headers["authorization"].first == "Bearer ok" }) { connection in
                for await _ in connection.inbound {}
            }
        }) { port in
            await #expect(throws: WebSocketClientError.upgradeRejected) { _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/nowhere") }
            await #expect(throws: WebSocketClientError.upgradeRejected) { _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/private") }
            #expect(try await RawWebSocketClient.exchange(port: port, path: "/ws/nowhere", frames: []) == ["status 404"])
            #expect(try await RawWebSocketClient.exchange(port: port, path: "/ws/private", frames: []) == ["status 400"])  // shouldAccept false: 400, as documented
            // A plain GET (no upgrade headers) to a WebSocket path is not a route: 404.
            #expect(try await RawWebSocketClient.plainGET(port: port, path: "/ws/private") == ["status 404"])
            let accepted = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/private", headers: ["authorization": "Bearer ok"])
            #expect(try await accepted.close().code == .normalClosure)
        }
    }

    /// GrestHTTP only switches protocols; the RFC 6455 rules on a hosted socket are GrestWebSocket's, as on the
    /// standalone server: a frame over the route's limit → 1009, invalid UTF-8 → 1007, a frame at the limit echoed.
    @Test func protocolViolationsOnAHostedSocketGetTheirCloseCodes() async throws {
        var configuration = WebSocketConfiguration()
        configuration.maxFrameSize = 1024
        try await withServer({ server in
            try server.registerWebSocket(path: "/ws/echo", configuration: configuration) { connection in
                for await message in connection.inbound {
                    do { try await connection.send(message) } catch { break }
                }
            }
        }) { port in
            let atLimit = try await RawWebSocketClient.exchange(
                port: port, path: "/ws/echo", frames: [.binary([UInt8](repeating: 1, count: 1024)), .awaitReplies(1), .close])
            #expect(atLimit.first?.hasPrefix("data 2 0101") == true && atLimit.last == "close 1000", "\(atLimit)")
            #expect(try await RawWebSocketClient.exchange(port: port, path: "/ws/echo", frames: [.binary([UInt8](repeating: 1, count: 1025))]) == ["close 1009"])
            #expect(try await RawWebSocketClient.exchange(port: port, path: "/ws/echo", frames: [.text([0x68, 0x69, 0xFF])]) == ["close 1007"])
        }
    }

    @Test func duplicatePathsFailAtRegistration() throws {
        let server = HTTPServer()
        try server.registerWebSocket(path: "/ws/a") { _ in }
        #expect(throws: HTTPServerError.duplicateUpgradePath("/ws/a")) { try server.registerWebSocket(path: "/ws/a") { _ in } }
    }
}

/// `HTTPServer.shutdown()` ends hosted sockets properly: each open one gets 1001 Going Away and the close
/// handshake, as the standalone `WebSocketServer` does (without it the client saw the TCP connection drop: 1006).
@Suite("Hosted sockets on server shutdown", .timeLimit(.minutes(1)))
struct HostedSocketShutdownTests {
    @Test func shutdownSendsEveryOpenSocketGoingAwayAndWaitsForTheHandshake() async throws {
        let server = HTTPServer()
        try server.registerWebSocket(path: "/ws/echo") { connection in
            for await message in connection.inbound {
                do { try await connection.send(message) } catch { break }
            }
        }
        try await server.start()
        let port = try #require(server.port)
        var clients: [WebSocketConnection] = []
        for _ in 0..<3 {
            let client = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/echo")
            try await client.send(text: "hi")
            var inbound = client.inbound.makeAsyncIterator()
            #expect(await inbound.next() == .text("hi"))  // open and served before the shutdown starts
            clients.append(client)
        }
        let started = ContinuousClock.now
        await server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(5), "the handshakes end the wait, not the 10 s shutdown timeout")
        for client in clients {
            let info = await client.closeInfo
            #expect(info.code == .goingAway)
            #expect(info.reason == "server shutting down")
            #expect(info.wasClean)
        }
    }
    /// Handlers are children of the server's task tree: shutdown returns only after each has returned, including
    /// the work a handler does after its socket closed. (With a handler in an unstructured task, shutdown returned at
    /// the close handshakes and this cleanup was still running.)
    @Test func shutdownWaitsForEveryHandlerToReturn() async throws {
        let server = HTTPServer()
        let finished = Atomic<Int>(0)
        let (started, handlerStarted) = AsyncStream.makeStream(of: Void.self)
        try server.registerWebSocket(path: "/ws/slow-exit") { connection in
            handlerStarted.yield()
            for await _ in connection.inbound {}
            try? await Task.sleep(for: .milliseconds(300))  // cleanup after the close, still within the deadline
            finished.add(1, ordering: .relaxed)
        }
        try await server.start()
        let port = try #require(server.port)
        var clients: [WebSocketConnection] = []
        for _ in 0..<3 { clients.append(try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/slow-exit")) }
        var handlers = started.makeAsyncIterator()
        for _ in 0..<3 { await handlers.next() }
        await server.shutdown()
        #expect(finished.load(ordering: .relaxed) == 3, "shutdown returned before the handlers did")
        for client in clients { #expect(await client.closeInfo.code == .goingAway) }
    }

    /// A handler that ignores its socket's close is cancelled at the shutdown deadline, and shutdown still waits for
    /// it to return. (An unstructured handler task was never cancelled: it slept on after the server had stopped.)
    @Test func aHandlerStillRunningAtTheDeadlineIsCancelled() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.shutdownTimeout = .milliseconds(500)
        let server = HTTPServer(configuration: configuration)
        let cancelled = Atomic<Int>(0)
        let (started, handlerStarted) = AsyncStream.makeStream(of: Void.self)
        try server.registerWebSocket(path: "/ws/stubborn") { _ in
            handlerStarted.yield()
            do { try await Task.sleep(for: .seconds(3600)) } catch { cancelled.add(1, ordering: .relaxed) }
        }
        try await server.start()
        let port = try #require(server.port)
        let client = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/stubborn")
        var handlers = started.makeAsyncIterator()
        await handlers.next()
        let shutdownStarted = ContinuousClock.now
        await server.shutdown()
        #expect(cancelled.load(ordering: .relaxed) == 1, "the handler was not cancelled before shutdown returned")
        #expect(ContinuousClock.now - shutdownStarted < .seconds(5))
        _ = await client.closeInfo
    }

    @Test func noHostedTaskRunsOnAServerThatIsNotRunning() async throws {
        let server = HTTPServer()
        // The WebSocket route refuses an upgrade that lands during shutdown on this answer alone: by the time the
        // shutdown hooks send their 1001s, the tree takes nothing more.
        let acceptedDuringHooks = Mutex<Bool?>(nil)
        server.addShutdownHook { [weak server] in
            let accepted = server?.addHostedTask {}
            acceptedDuringHooks.withLock { $0 = accepted }
        }
        #expect(!server.addHostedTask {})
        try await server.start()
        #expect(server.addHostedTask {})
        await server.shutdown()
        #expect(!server.addHostedTask {})
        #expect(acceptedDuringHooks.withLock { $0 } == false)
    }
}
