import GrestHTTP
import GrestWebSocket
import GrestWebSocketTransport
import NIOCore
import Testing
import WebSocketCompression

/// The transport served through GrestHTTP's upgrade dispatcher, over real sockets, with our client.
@Suite("WebSocket on a GrestHTTP server")
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
        defer { Task { await server.shutdown() } }
        let port = try #require(server.port)

        let client = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/echo", configuration: Self.configuration(deflate: deflate))
        #expect(client.info.extensions.isEmpty == !deflate)
        let text = String(repeating: "grest ", count: 2_000)
        try await client.send(text: text)
        try await client.send(binary: ByteBuffer(bytes: [0, 1, 2, 255]))
        var iterator = client.inbound.makeAsyncIterator()
        #expect(await iterator.next() == .text(text))
        #expect(await iterator.next() == .binary(ByteBuffer(bytes: [0, 1, 2, 255])))
        _ = try await client.close()
    }

    @Test func unknownPathsAndRefusalsAreNotUpgraded() async throws {
        let server = HTTPServer()
        try server.registerWebSocket(path: "/ws/private", shouldAccept: { $0.headers["authorization"].first == "Bearer ok" }) { connection in
            for await _ in connection.inbound {}
        }
        try await server.start()
        defer { Task { await server.shutdown() } }
        let port = try #require(server.port)

        await #expect(throws: (any Error).self) { _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/nowhere") }
        await #expect(throws: (any Error).self) { _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/private") }
        let accepted = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/private", headers: ["authorization": "Bearer ok"])
        _ = try await accepted.close()
    }

    @Test func duplicatePathsFailAtRegistration() throws {
        let server = HTTPServer()
        try server.registerWebSocket(path: "/ws/a") { _ in }
        #expect(throws: (any Error).self) { try server.registerWebSocket(path: "/ws/a") { _ in } }
    }
}
