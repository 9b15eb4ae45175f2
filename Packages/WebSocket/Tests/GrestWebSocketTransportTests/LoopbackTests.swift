import GrestWebSocketTransport
import NIOCore
import Testing
import WebSocketCompression
import NIOHTTP1

@Suite("Loopback: our client against our server", .timeLimit(.minutes(2)))
struct LoopbackTests {
    static func clientConfiguration(deflate: Bool) -> WebSocketConfiguration {
        var configuration = WebSocketConfiguration()
        if deflate { configuration.compression = PerMessageDeflate() }
        return configuration
    }

    /// 3 MiB that deflate cannot shrink, made once. Not byte by byte from `SystemRandomNumberGenerator`: that is one
    /// `getrandom` call per byte, seconds of a cooperative thread in a debug build, which starved every other test's
    /// handshake when the package's tests ran in one process.
    static let incompressible: ByteBuffer = {
        var state = UInt64.random(in: 1...UInt64.max)
        let words = (0..<((3 << 20) / 8)).map { _ in
            // xorshift64: fast, and random enough that deflate cannot shrink it.
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        return words.withUnsafeBytes { ByteBuffer(bytes: $0) }
    }()

    @Test(
        "echo text and binary, small to large, with the handler on either executor",
        arguments: [false, true],
        [WebSocketHandlerExecutor.globalConcurrent, .eventLoop]
    )
    func echo(deflate: Bool, handlerExecutor: WebSocketHandlerExecutor) async throws {
        try await withEchoServer(deflate: deflate, handlerExecutor: handlerExecutor) { port in
            let connection = try await WebSocketClient.connect(
                to: "ws://127.0.0.1:\(port)/echo",
                configuration: Self.clientConfiguration(deflate: deflate)
            )
            #expect(connection.info.extensions.map(\.name) == (deflate ? ["permessage-deflate"] : []))
            var iterator = connection.inbound.makeAsyncIterator()
            let big = Self.incompressible
            let messages: [WebSocketMessage] = [
                .text(""), .text("hello"), .text(String(repeating: "grest ✓ ", count: 20000)), .binary(ByteBuffer(bytes: [0, 1, 2])), .binary(big),
            ]
            for (index, message) in messages.enumerated() {
                try await connection.send(message)
                let echoed = await iterator.next()
                #expect(echoed == message, "message \(index)")
                if echoed == nil { break }
            }
            let info = try await connection.close()
            #expect(info.code == .normalClosure && info.wasClean, "\(info)")
        }
    }

    @Test(
        "trusted text bytes go out as one text message, equal to sending the same String",
        arguments: [false, true],
        [WebSocketHandlerExecutor.globalConcurrent, .eventLoop]
    )
    func trustedText(deflate: Bool, handlerExecutor: WebSocketHandlerExecutor) async throws {
        // The server answers with the trusted path, so the bytes written on its loop and off it are both checked.
        let handler: WebSocketServer.Handler = { connection in
            for await message in connection.inbound {
                guard case .text(let text) = message else { continue }
                do { try await connection.send(trustedText: ByteBuffer(string: text)) } catch { break }
            }
        }
        try await withEchoServer(deflate: deflate, handlerExecutor: handlerExecutor, handler: handler) { port in
            let connection = try await WebSocketClient.connect(
                to: "ws://127.0.0.1:\(port)/echo", configuration: Self.clientConfiguration(deflate: deflate))
            var iterator = connection.inbound.makeAsyncIterator()
            for text in ["", "s:ChatApi.sendMessage:1:{\"success\":true}", String(repeating: "grest ✓ ", count: 20000)] {
                try await connection.send(trustedText: ByteBuffer(string: text))
                #expect(await iterator.next() == .text(text))
            }
            let info = try await connection.close()
            #expect(info.code == .normalClosure && info.wasClean, "\(info)")
        }
    }

    @Test("a message inflating past the ratio limit closes with 1009 (zip bomb defence)")
    func ratioLimit() async throws {
        try await withEchoServer(deflate: true) { port in
            var configuration = Self.clientConfiguration(deflate: true)
            configuration.maxMessageSize = 64 << 20
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
            // 3 MiB of zeros deflate ~1000:1: over the server's default 200:1 above 1 MiB.
            try await connection.send(binary: ByteBuffer(repeating: 0, count: 3 << 20))
            for await _ in connection.inbound {}
            #expect(await connection.closeInfo.code == .messageTooBig)
        }
    }

    @Test("headers, path and query reach the server; negotiated extensions are visible to both ends")
    func connectionInfo() async throws {
        try await withEchoServer(deflate: true) { port in
            let connection = try await WebSocketClient.connect(
                to: "ws://127.0.0.1:\(port)/chat/room?room=r%201&x=2",
                headers: ["X-Token": "secret"],
                configuration: Self.clientConfiguration(deflate: true)
            )
            try await connection.send(text: "info")
            var iterator = connection.inbound.makeAsyncIterator()
            #expect(await iterator.next() == .text("/chat/room|r 1|secret|permessage-deflate"))
            #expect(connection.info.query == "room=r%201&x=2")
            #expect(connection.info.remoteAddress?.port == port)
            try await connection.close()
        }
    }

    @Test("a server-initiated close reaches the client with its code and reason")
    func serverClose() async throws {
        try await withEchoServer(deflate: false) { port in
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/")
            try await connection.send(text: "close-me")
            for await _ in connection.inbound {}
            #expect(await connection.closeInfo == WebSocketCloseInfo(code: WebSocketCloseCode(4002), reason: "server bye", wasClean: true))
            await #expect(throws: WebSocketError.connectionClosed) { try await connection.send(text: "late") }
        }
    }

    @Test("a broken upgrade is refused with 426 and the server keeps serving")
    func refused() async throws {
        try await withEchoServer(deflate: false) { port in
            await #expect(throws: WebSocketClientError.upgradeRejected) {
                // Extra Sec-WebSocket-Version header makes the version check fail → 426.
                _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", headers: ["Sec-WebSocket-Version": "8"])
            }
            // The server keeps serving.
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/")
            try await connection.close()
        }
    }

    @Test("sending suspends while the peer does not read, memory stays bounded, then drains")
    func backpressure() async throws {
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        try await withEchoServer(deflate: false, handler: { connection in
            // Not reading: the transport stops reading the socket after a few buffered messages.
            for await _ in gate {}
            for await _ in connection.inbound {}
        }) { port in
            var configuration = WebSocketConfiguration()
            configuration.outbound.highWatermark = 256 << 10
            configuration.outbound.lowWatermark = 64 << 10
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
            let message = ByteBuffer(repeating: 7, count: 64 << 10)
            let total = 1000  // 62.5 MiB if nothing pushed back
            let sent = SentCounter()
            let sender = Task {
                for _ in 0..<total {
                    try await connection.send(binary: message)
                    await sent.increment()
                }
            }
            // Wait until sending stalls: the count stops moving well before everything is sent.
            var stalled = -1
            for _ in 0..<60 {
                try await Task.sleep(for: .milliseconds(500))
                let now = await sent.value
                if now == stalled { break }
                stalled = now
            }
            #expect(stalled < total / 2, "sends should suspend once the peer stops reading (sent \(stalled))")
            open.finish()
            try await sender.value
            #expect(await sent.value == total)
            try await connection.close()
        }
    }
}

actor SentCounter {
    private(set) var value = 0
    func increment() { self.value += 1 }
}
