import GrestWebSocketTransport
import NIOCore
import NIOPosix
import Testing

/// `WebSocketCloseInfo.cause` tells layers above why a connection ended without matching reason text: the
/// typed socket layer counts heartbeat timeouts by `cause == .pingTimeout`.
@Suite(.timeLimit(.minutes(1)))
struct CloseCauseTests {
    /// A server whose handler reports how each connection ended.
    static func withRecordingServer(
        autoPing: WebSocketConfiguration.AutoPing? = nil, _ body: @Sendable (Int, AsyncStream<WebSocketCloseInfo>) async throws -> Void
    ) async throws {
        let (infos, continuation) = AsyncStream.makeStream(of: WebSocketCloseInfo.self)
        try await withEchoServer(
            deflate: false, configure: { $0.autoPing = autoPing },
            handler: { connection in
                for await _ in connection.inbound {}
                continuation.yield(await connection.closeInfo)
            }
        ) { port in try await body(port, infos) }
    }

    @Test func aCloseHandshakeAndADropHaveTheirOwnCause() async throws {
        try await Self.withRecordingServer { port, infos in
            var ended = infos.makeAsyncIterator()
            let polite = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/")
            _ = try await polite.close()
            let handshake = await ended.next()
            #expect(handshake?.cause == .closeHandshake)
            #expect(handshake?.code == .normalClosure)

            let vanishing = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/")
            vanishing.abort()  // TCP close, no close frame
            let dropped = await ended.next()
            #expect(dropped?.cause == .dropped)
            #expect(dropped?.code == .abnormalClosure)
        }
    }

    @Test func aPeerThatNeverAnswersPingsEndsWithPingTimeout() async throws {
        try await Self.withRecordingServer(autoPing: .init(interval: .milliseconds(100), timeout: .milliseconds(200))) { port, infos in
            var ended = infos.makeAsyncIterator()
            // Upgrades, then never sends another byte (no pong).
            let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
            try await silent.writeAndFlush(
                ByteBuffer(
                    string: "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
            let timedOut = await ended.next()
            #expect(timedOut?.cause == .pingTimeout)
            #expect(timedOut?.code == .goingAway)
            try? await silent.close()
        }
    }
}
